// The display rules an app applies on the device before it asks the server to show a survey
// (POST /v1/responses/shown): the survey's triggers, and the project's fatigue rules on what
// this device remembers. Pure functions over the configuration's JSON, the same rules as the
// web widget's and the server's (src/domain/fatigue.rs), so most screens need no server decision.
package dev.feedbackd

import org.json.JSONArray
import org.json.JSONObject

object FeedbackdRules {
    private const val DAY = 86_400_000L

    /** The server's fatigue defaults, for a configuration that carries no rules. */
    fun defaultFatigue(): JSONObject =
        JSONObject().put("days_between_surveys", 14).put("max_per_session", 1).put("ignored_wait_hours", 72)

    /**
     * Whether `triggers` hold in an app now. `event` is the event being reported; null when a
     * screen opens. Triggers only a web page has (url, delay, scroll, exit intent) never hold
     * in an app, so such a survey does not appear there by itself. `memory` is what the device
     * remembers: `views` (screens that offered a survey) and `first` (first seen, Unix ms).
     */
    fun due(triggers: JSONObject?, memory: JSONObject, event: String?, now: Long): Boolean {
        val t = triggers ?: JSONObject()
        val web = (t.optJSONArray("url")?.length() ?: 0) > 0 || t.optLong("delay_ms") > 0 ||
            t.optLong("scroll_percent") > 0 || t.optBoolean("exit_intent")
        if (web) return false
        val wanted = if (t.isNull("event")) null else t.getString("event")
        if (wanted != event) return false // no event trigger: only when a screen opens
        val views = t.optInt("min_page_views")
        if (views > 0 && memory.optInt("views") < views) return false
        val days = t.optLong("min_days_seen")
        return days <= 0 || now - memory.optLong("first", now) >= days * DAY
    }

    /**
     * Whether the fatigue rules `f` keep survey `key` away on this device, whose session has
     * shown `sessionShown` surveys; the strictest rule wins. `memory.surveys[key]` holds when
     * the survey was last shown (s), answered (a) and dismissed (d), in Unix ms, and whether it
     * is exempt (x).
     */
    fun resting(key: String, targeting: JSONObject?, f: JSONObject, memory: JSONObject, sessionShown: Int, now: Long): Boolean {
        val tg = targeting ?: JSONObject()
        if (tg.optBoolean("fatigue_exempt")) return false
        fun within(at: Long, span: Long) = at > 0 && now < at + span
        fun decided(c: JSONObject) = maxOf(c.optLong("a"), c.optLong("d"))
        val surveys = memory.optJSONObject("surveys") ?: JSONObject()
        val own = surveys.optJSONObject(key) ?: JSONObject()
        val cap = f.optInt("max_per_session")
        if (cap > 0 && sessionShown >= cap) return true
        val recontact = tg.optLong("recontact_days")
        if (recontact > 0 && within(decided(own), recontact * DAY)) return true
        val rest = f.optLong("days_between_surveys") * DAY
        if (rest > 0) {
            if (within(decided(own), rest)) return true
            for (other in surveys.keys()) {
                val c = surveys.getJSONObject(other)
                if (other != key && !c.optBoolean("x") && within(maxOf(decided(c), c.optLong("s")), rest)) return true
            }
        }
        val shown = own.optLong("s")
        val wait = f.optLong("ignored_wait_hours") * 3_600_000
        return wait > 0 && shown > decided(own) && within(shown, wait)
    }

    // Questions beyond the score (docs/design/0019-questions.md): which additional questions
    // follow the main answer, in the person's language, with their options in the order to
    // show. The same functions as the React Native and iOS snippets' (the cases all of them
    // are checked with: tests/data/snippet-questions.json).

    /** The key of a choice survey's main question. */
    const val MAIN = "main"
    /** The key of the option that takes free text when the question has `other: true`. */
    const val OTHER = "other"

    /**
     * The band of `score` in a survey of `kind` whose scale is `scale` (`{"min", "max"}`): NPS
     * `detractor` (0–6), `passive` (7–8), `promoter` (9–10); CSAT, CES and rating `high` (the
     * top two points of the scale) or `low`; null for kinds without bands.
     */
    fun band(kind: String, scale: JSONObject?, score: Int): String? = when (kind) {
        "nps" -> if (score >= 9) "promoter" else if (score >= 7) "passive" else "detractor"
        "csat", "ces", "rating" -> {
            val max = scale?.optInt("max", -1)?.takeIf { it >= 0 } ?: if (kind == "ces") 7 else 5
            if (score >= max - 1) "high" else "low"
        }
        else -> null
    }

    /** A survey's `questions`, as a list (none in an old configuration). */
    fun questions(survey: JSONObject): List<JSONObject> {
        val list = survey.optJSONArray("questions") ?: return emptyList()
        return (0 until list.length()).map { list.getJSONObject(it) }
    }

    /** A choice survey's main question (key `main`), if the survey is one. */
    fun mainQuestion(survey: JSONObject): JSONObject? =
        if (survey.optString("kind") == "choice") questions(survey).firstOrNull { it.optString("key") == MAIN } else null

    /**
     * The additional questions to ask after the main answer, `score` or in a choice survey the
     * keys `chosen` in its main question, in the survey's order: not retired, and every
     * `show_if` condition given holds (an empty list is no condition): the main answer's band
     * is one of `bands`; one of `options` was chosen.
     */
    fun shownQuestions(survey: JSONObject, score: Int?, chosen: Collection<String>): List<JSONObject> {
        val kind = survey.optString("kind")
        val b = score?.let { band(kind, survey.optJSONObject("scale"), it) }
        return questions(survey).filter { q ->
            if (q.optString("key") == MAIN || q.optBoolean("retired")) return@filter false
            val showIf = q.optJSONObject("show_if")
            val bands = strings(showIf?.optJSONArray("bands"))
            val options = strings(showIf?.optJSONArray("options"))
            (bands.isEmpty() || (b != null && b in bands)) && (options.isEmpty() || options.any { it in chosen })
        }
    }

    /** `text` in `locale` (a tag such as `de-CH`): the exact tag, then its language, else `text`. */
    fun localized(text: String, locales: JSONObject?, locale: String?): String {
        if (locale.isNullOrEmpty() || locales == null) return text
        fun at(tag: String) = (locales.opt(tag) as? String).orEmpty()
        return at(locale).ifEmpty { at(locale.substringBefore('-')) }.ifEmpty { text }
    }

    /**
     * The options to offer, in the order to show them: the active ones; with `shuffle`,
     * shuffled (Fisher–Yates with `random`, a number in [0, 1)) and the `other` option last.
     */
    fun optionOrder(question: JSONObject, random: () -> Double = Math::random): List<JSONObject> {
        val list = question.optJSONArray("options") ?: JSONArray()
        val active = (0 until list.length()).map { list.getJSONObject(it) }.filter { !it.optBoolean("retired") }
        if (!question.optBoolean("shuffle")) return active
        val rest = active.filter { it.optString("key") != OTHER }.toMutableList()
        for (i in rest.size - 1 downTo 1) {
            val j = (random() * (i + 1)).toInt()
            rest[i] = rest[j].also { rest[j] = rest[i] }
        }
        return rest + active.filter { it.optString("key") == OTHER }
    }

    /**
     * The keys picked after the person taps `key`: a single-select question keeps only it; a
     * multiple one toggles it, never past `max_picks`.
     */
    fun pick(question: JSONObject, picked: List<String>, key: String): List<String> {
        if (!question.optBoolean("multiple")) return listOf(key)
        if (key in picked) return picked - key
        val max = question.optInt("max_picks", Int.MAX_VALUE)
        return if (picked.size >= max) picked else picked + key
    }

    /**
     * What to send for a choice question (a JSONArray of keys, or `{"options", "other"}`), or
     * null while it cannot be sent: nothing picked, more than one in a single-select question or
     * more than `max_picks`, or `other` picked in a question with `other: true` and no text.
     */
    fun choiceAnswer(question: JSONObject, picked: List<String>, otherText: String?): Any? {
        val keys = picked.distinct()
        val max = if (question.optBoolean("multiple")) question.optInt("max_picks", Int.MAX_VALUE) else 1
        if (keys.isEmpty() || keys.size > max) return null
        if (!question.optBoolean("other") || OTHER !in keys) return JSONArray(keys)
        val other = otherText?.trim().orEmpty()
        return if (other.isEmpty()) null else JSONObject().put("options", JSONArray(keys)).put("other", other)
    }

    private fun strings(a: JSONArray?): List<String> = if (a == null) emptyList() else (0 until a.length()).map { a.getString(it) }
}
