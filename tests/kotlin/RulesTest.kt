// The Android snippet's display rules (sdk-snippets/android/FeedbackdRules.kt) on the JVM, with
// Android's own org.json. Run by scripts/compile-kotlin-snippets:
//   - the triggers, on the cases the web widget's triggers are tested with in Chromium
//     (tests/browser/triggers.test.mjs), as the app sees them: an event, page views (screens),
//     days seen; the web-only triggers (URL, delay, scroll, exit intent) never hold in an app;
//   - the fatigue rules, on the cases of the server's own tests (crates/domain/src/fatigue.rs);
//   - the question rules of issue 19 (which additional questions follow a main answer, bands,
//     localized labels, option order, taps, choice answers), on the cases the React Native
//     snippet's are tested with too (tests/data/snippet-questions.json);
//   - with a cases file (written by tests/api/snippets.rs from the server's `may_show`), every
//     case there, so the app's verdict is the server's.
package dev.feedbackd.test

import dev.feedbackd.FeedbackdRules
import org.json.JSONArray
import org.json.JSONObject
import java.io.File

private const val HOUR = 3_600_000L
private const val DAY = 24 * HOUR
private const val NOW = 1_790_000_000_000L // a fixed instant: the rules take `now` as an argument

private var passed = 0
private val failures = mutableListOf<String>()

private fun check(what: String, ok: Boolean) {
    if (ok) passed++ else failures.add(what)
}

private fun json(text: String) = JSONObject(text)

/** The device's memory: `views` screens so far, first seen `firstAgo` ms before NOW, and per
 *  survey key its contacts ({"s": ms, "a": ms, "d": ms, "x": exempt}). */
private fun memory(views: Int = 1, firstAgo: Long = 0, surveys: JSONObject = JSONObject()) =
    JSONObject().put("views", views).put("first", NOW - firstAgo).put("surveys", surveys)

private fun contact(shownAgo: Long? = null, answeredAgo: Long? = null, dismissedAgo: Long? = null, exempt: Boolean = false) =
    JSONObject().also { c ->
        shownAgo?.let { c.put("s", NOW - it) }
        answeredAgo?.let { c.put("a", NOW - it) }
        dismissedAgo?.let { c.put("d", NOW - it) }
        c.put("x", exempt)
    }

private fun triggers() {
    val due = { t: String?, m: JSONObject, event: String? -> FeedbackdRules.due(t?.let(::json), m, event, NOW) }
    check("no triggers: a screen opening shows the survey", due(null, memory(), null))
    check("empty triggers: as none", due("{}", memory(), null))
    check("no event trigger: a tracked event does not show it", !due(null, memory(), "checkout_completed"))

    val event = """{"event": "checkout_completed"}"""
    check("a named event shows the survey", due(event, memory(), "checkout_completed"))
    check("another event does not", !due(event, memory(), "newsletter_signup"))
    check("an event trigger: not when a screen opens", !due(event, memory(), null))

    val views = """{"min_page_views": 3}"""
    check("a page-view threshold: not on the first view", !due(views, memory(views = 1), null))
    check("not on the second", !due(views, memory(views = 2), null))
    check("on the third", due(views, memory(views = 3), null))

    val days = """{"min_days_seen": 7}"""
    check("days seen: not a moment early", !due(days, memory(firstAgo = 7 * DAY - 1), null))
    check("days seen: on the day", due(days, memory(firstAgo = 7 * DAY), null))
    check("days seen: a new device counts from now", !due(days, JSONObject().put("views", 1), null))

    val both = """{"event": "checkout_completed", "min_page_views": 2}"""
    check("every trigger must hold: event without the views", !due(both, memory(views = 1), "checkout_completed"))
    check("every trigger must hold: both", due(both, memory(views = 2), "checkout_completed"))

    // The web widget's URL cases: glob and exact patterns. An app has no page URL, so a
    // survey that needs one never appears there by itself, matching or not.
    val url = """{"url": [{"match": "glob", "value": "https://shop.example.com/shop/*/check?ut"},
        {"match": "exact", "value": "https://shop.example.com/shop/exact"}]}"""
    check("a URL trigger never holds in an app", !due(url, memory(views = 5), null))
    check("a URL trigger: not on an event either", !due(url, memory(), "checkout_completed"))
    check("an empty URL list is no trigger", due("""{"url": []}""", memory(), null))
    for (web in listOf("""{"delay_ms": 2500}""", """{"scroll_percent": 60}""", """{"exit_intent": true}""")) {
        check("web-only $web never holds in an app", !due(web, memory(views = 5), null))
    }
    check("a zero delay is no trigger", due("""{"delay_ms": 0, "scroll_percent": 0, "exit_intent": false}""", memory(), null))
}

private fun fatigue() {
    val defaults = FeedbackdRules.defaultFatigue()
    fun shows(key: String, memory: JSONObject, rules: JSONObject = defaults, targeting: String? = null,
              sessionShown: Int = 0, now: Long = NOW) =
        !FeedbackdRules.resting(key, targeting?.let(::json), rules, memory, sessionShown, now)

    // one_survey_per_period_across_the_project
    val answered = memory(surveys = JSONObject().put("nps", contact(answeredAgo = 3 * DAY)))
    check("answered 3 days ago: not again (project rest)", !shows("nps", answered))
    check("answered 3 days ago: no other survey either", !shows("csat", answered))
    check("the next after 14 days", shows("csat", answered, now = NOW + 11 * DAY + 1000))
    val off = JSONObject(defaults.toString()).put("days_between_surveys", 0)
    check("no rest period: the other survey shows", shows("csat", answered, off))
    val button = memory(surveys = JSONObject().put("nps", contact(answeredAgo = 3 * DAY, exempt = true)))
    check("an exempt survey's contacts do not count", shows("csat", button))
    check("an exempt survey escapes the rules", shows("csat", answered, targeting = """{"fatigue_exempt": true}""", sessionShown = 5))

    // an_ignored_survey_waits
    val rested = JSONObject(defaults.toString()).put("days_between_surveys", 0)
    val ignored = memory(surveys = JSONObject().put("nps", contact(shownAgo = 71 * HOUR)))
    check("shown 71 hours ago and ignored: not yet", !shows("nps", ignored, rested))
    check("shown 72 hours ago: again", shows("nps", memory(surveys = JSONObject().put("nps", contact(shownAgo = 72 * HOUR))), rested))
    val decided = memory(surveys = JSONObject().put("nps", contact(shownAgo = 2 * HOUR, answeredAgo = HOUR)))
    check("shown then answered is not ignored", shows("nps", decided, rested))
    check("ignored_wait_hours 0: off", shows("nps", ignored, JSONObject(rested.toString()).put("ignored_wait_hours", 0)))

    // the session cap and a survey's own recontact period
    check("one survey per session by default", !shows("nps", memory(), sessionShown = 1))
    check("no cap when max_per_session is 0", shows("nps", memory(), JSONObject(defaults.toString()).put("max_per_session", 0), sessionShown = 3))
    val dismissed = memory(surveys = JSONObject().put("nps", contact(dismissedAgo = 20 * DAY)))
    check("dismissed 20 days ago: past the project rest", shows("nps", dismissed))
    check("...but within its own 30-day recontact period", !shows("nps", dismissed, targeting = """{"recontact_days": 30}"""))
    check("a fresh device sees the survey", shows("nps", memory()))
}

/** The question rules on the shared cases (read from the repository: this runs from its root). */
private fun questions() {
    val file = JSONObject(File("tests/data/snippet-questions.json").readText())
    val surveys = file.getJSONObject("surveys")
    fun question(ref: String): JSONObject {
        val (survey, key) = ref.split("/")
        return FeedbackdRules.questions(surveys.getJSONObject(survey)).first { it.getString("key") == key }
    }
    fun strings(a: JSONArray?) = if (a == null) emptyList() else (0 until a.length()).map { a.getString(it) }
    fun each(name: String, f: (JSONObject) -> Unit) {
        val list = file.getJSONArray(name)
        for (i in 0 until list.length()) f(list.getJSONObject(i))
    }

    each("bands") { c ->
        val got = FeedbackdRules.band(c.getString("kind"), c.optJSONObject("scale"), c.getInt("score"))
        val want = if (c.isNull("band")) null else c.getString("band")
        check("band of ${c.getInt("score")} in ${c.getString("kind")} ${c.opt("scale")}: $got, not $want", got == want)
    }
    each("shown") { c ->
        val score = if (c.has("score")) c.getInt("score") else null
        val got = FeedbackdRules.shownQuestions(surveys.getJSONObject(c.getString("survey")), score,
            strings(c.optJSONArray("options"))).map { it.getString("key") }
        val want = strings(c.getJSONArray("keys"))
        check("${c.getString("survey")} after ${c.opt("score") ?: c.opt("options")}: $got, not $want", got == want)
    }
    each("localized") { c ->
        val locale = if (c.isNull("locale")) null else c.getString("locale")
        val got = FeedbackdRules.localized(c.getString("text"), c.optJSONObject("locales"), locale)
        check("${c.getString("text")} in $locale with ${c.opt("locales")}: $got, not ${c.getString("expect")}", got == c.getString("expect"))
    }
    each("order") { c ->
        val q = JSONObject(question(c.getString("question")).toString()).put("shuffle", c.getBoolean("shuffle"))
        val draws = ArrayDeque((0 until (c.optJSONArray("random")?.length() ?: 0)).map { c.getJSONArray("random").getDouble(it) })
        val got = FeedbackdRules.optionOrder(q) {
            draws.removeFirstOrNull() ?: error("${c.getString("question")}: the shuffle drew more numbers than the case gives")
        }.map { it.getString("key") }
        val want = strings(c.getJSONArray("keys"))
        check("order of ${c.getString("question")} (shuffle ${c.getBoolean("shuffle")}, random ${c.opt("random")}): $got, not $want", got == want)
    }
    each("picks") { c ->
        val got = FeedbackdRules.pick(question(c.getString("question")), strings(c.getJSONArray("picked")), c.getString("tap"))
        val want = strings(c.getJSONArray("keys"))
        check("${c.getString("question")}: ${c.getString("tap")} tapped with ${c.get("picked")} picked: $got, not $want", got == want)
    }
    each("answers") { c ->
        val got = FeedbackdRules.choiceAnswer(question(c.getString("question")), strings(c.getJSONArray("picked")), c.getString("other"))
        val want = if (c.isNull("answer")) null else c.get("answer").toString()
        check("${c.getString("question")} answer of ${c.get("picked")} + \"${c.getString("other")}\": $got, not $want", got?.toString() == want)
    }

    // With the platform's randomness: every order is a permutation of the active options with
    // `other` last, and shuffling really moves them.
    val reason = question("nps/reason")
    val firsts = mutableSetOf<String>()
    repeat(200) {
        val keys = FeedbackdRules.optionOrder(reason).map { it.getString("key") }
        firsts.add(keys[0])
        check("a shuffled order keeps every active option, other last: $keys",
            keys.size == 3 && keys[2] == "other" && keys.sorted() == listOf("bugs", "other", "price"))
    }
    check("shuffling puts each option first sometimes: $firsts", firsts.size == 2)
    check("a choice survey has its main question", FeedbackdRules.mainQuestion(surveys.getJSONObject("pmf"))?.getString("key") == "main")
    check("a scored survey has none", FeedbackdRules.mainQuestion(surveys.getJSONObject("nps")) == null)
}

/** Every case the server decided (tests/api/snippets.rs): the device must decide the same. */
private fun serverCases(path: String) {
    val file = JSONObject(File(path).readText())
    val defaults = file.getJSONObject("defaults")
    val mine = FeedbackdRules.defaultFatigue()
    for (name in listOf("days_between_surveys", "max_per_session", "ignored_wait_hours")) {
        check("default $name is the server's (${defaults.opt(name)})", mine.optLong(name, -1) == defaults.optLong(name, -2))
    }
    check("the defaults name no rule the app lacks", defaults.length() == mine.length())
    val cases: JSONArray = file.getJSONArray("cases")
    for (i in 0 until cases.length()) {
        val c = cases.getJSONObject(i)
        val shows = !FeedbackdRules.resting(c.getString("key"), c.optJSONObject("targeting"), c.getJSONObject("fatigue"),
            c.getJSONObject("memory"), c.getInt("session_shown"), c.getLong("now"))
        check("server case $i (${c.getString("server")}): $c", shows == c.getBoolean("show"))
    }
}

fun main(args: Array<String>) {
    triggers()
    fatigue()
    questions()
    args.firstOrNull()?.let(::serverCases)
    failures.take(20).forEach { System.err.println("FAILED: $it") }
    println("kotlin-rules: $passed passed, ${failures.size} failed")
    if (failures.isNotEmpty()) kotlin.system.exitProcess(1)
}
