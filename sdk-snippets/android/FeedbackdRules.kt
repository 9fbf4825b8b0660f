// The display rules an app applies on the device before it asks the server to show a survey
// (POST /v1/responses/shown): the survey's triggers, and the project's fatigue rules on what
// this device remembers. Pure functions over the configuration's JSON, the same rules as the
// web widget's and the server's (src/domain/fatigue.rs), so most screens need no server decision.
package dev.feedbackd

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
}
