// feedbackd client for Android (Kotlin, no dependencies beyond the platform): UUIDv7 ids, a
// persistent bounded queue (SharedPreferences), retries with backoff that honour
// Retry-After, on one background thread. It decides when a survey appears as the web widget
// does: triggers and fatigue on the device (FeedbackdRules.kt), then the server's word
// (POST /v1/responses/shown). Only ever a publishable key (fbk_pub_…) in an app.
package dev.feedbackd

import android.content.Context
import org.json.JSONArray
import org.json.JSONObject
import java.net.HttpURLConnection
import java.net.URL
import java.net.URLEncoder
import java.security.SecureRandom
import java.time.Instant
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledFuture
import java.util.concurrent.TimeUnit
import kotlin.math.min
import kotlin.math.pow

/** A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. */
fun uuidv7(): String {
    val b = ByteArray(16).also { SecureRandom().nextBytes(it) }
    var ms = System.currentTimeMillis()
    for (i in 5 downTo 0) { b[i] = (ms and 0xff).toByte(); ms = ms shr 8 }
    b[6] = ((b[6].toInt() and 0x0f) or 0x70).toByte()
    b[8] = ((b[8].toInt() and 0x3f) or 0x80).toByte()
    val h = b.joinToString("") { "%02x".format(it) }
    return "${h.substring(0, 8)}-${h.substring(8, 12)}-${h.substring(12, 16)}-${h.substring(16, 20)}-${h.substring(20)}"
}

class Feedbackd(context: Context, host: String, private val key: String) {
    init { require(key.startsWith("fbk_pub_")) { "feedbackd: use a publishable key (fbk_pub_…)" } }

    private val host = host.trimEnd('/')
    private val prefs = context.getSharedPreferences("feedbackd", Context.MODE_PRIVATE)
    private val worker = Executors.newSingleThreadScheduledExecutor()
    private var retry: ScheduledFuture<*>? = null
    private var failures = 0
    @Volatile var respondentId: String? = null
    @Volatile var attributes: Map<String, String> = emptyMap()
    // The device's memory and the session, guarded by `lock` (callers' threads and the worker).
    private val lock = Any()
    private val memoryKey = "seen:${key.take(16)}"
    private var sessionId = uuidv7()
    private var sessionShown = 0
    private val refused = mutableSetOf<String>()
    private var usedAt = System.currentTimeMillis()
    @Volatile private var cached: Pair<Long, JSONObject>? = null

    /** Who answers; the server picks again for them. */
    fun identify(respondentId: String?, attributes: Map<String, String> = emptyMap()) {
        this.respondentId = respondentId; this.attributes = attributes; cached = null
    }

    /** This app session's id: a new one after 30 minutes without the client being used. */
    val session: String get() = synchronized(lock) { touch() }

    /**
     * A screen opened: the survey (its JSON) to display now, or null. The server's pick appears
     * when its triggers hold here (no `event`; not a web-only trigger), the fatigue rules allow
     * it on this device, and then the server says `show: true`. Blocks: call off the main thread.
     */
    fun next(): JSONObject? {
        synchronized(lock) { val m = memory(); m.put("views", m.optInt("views") + 1); saveMemory(m) }
        return offer(null)
    }

    /** An app event (a survey's `triggers.event`, such as "checkout_completed"): the survey to
     *  display now, or null. Blocks: call off the main thread. */
    fun track(event: String): JSONObject? = offer(event)

    private fun offer(event: String?): JSONObject? {
        val now = System.currentTimeMillis()
        val c = cached?.takeIf { now - it.first <= CONFIG_TTL_MS }?.second
            ?: runCatching { config() }.getOrNull()?.also { cached = now to it } ?: return null
        if (c.isNull("show")) return null
        val list = c.getJSONArray("surveys")
        val s = (0 until list.length()).map { list.getJSONObject(it) }.firstOrNull { it.getString("key") == c.getString("show") }
            ?: return null
        val surveyKey = s.getString("key")
        val targeting = s.optJSONObject("targeting")
        val fatigue = c.optJSONObject("fatigue") ?: FeedbackdRules.defaultFatigue()
        val body = synchronized(lock) {
            val sid = touch()
            val memory = memory()
            if (surveyKey in refused || !FeedbackdRules.due(targeting?.optJSONObject("triggers"), memory, event, now) ||
                FeedbackdRules.resting(surveyKey, targeting, fatigue, memory, sessionShown, now)) return null
            JSONObject().put("id", uuidv7()).put("survey", surveyKey).put("session_id", sid)
                .also { b -> respondentId?.let { b.put("respondent_id", it) } }
        }
        if (!askShown(body)) {
            synchronized(lock) { refused.add(surveyKey) } // asked once per session: the server's no holds that long
            return null
        }
        remember(surveyKey, "s", targeting?.optBoolean("fatigue_exempt") ?: false)
        return s
    }

    /** POST /v1/responses/shown, retried with the same id (a replay gets the first answer);
     *  not queued: the question only matters now. */
    private fun askShown(body: JSONObject): Boolean {
        for (tries in 1..SHOWN_TRIES) {
            var retryAfter: Double? = null
            try {
                val c = send("POST", "/v1/responses/shown", body)
                val status = c.responseCode
                if (status in 200..299) {
                    val text = c.inputStream.bufferedReader().use { it.readText() }
                    return runCatching { JSONObject(text).optBoolean("show") }.getOrDefault(false)
                }
                retryAfter = c.getHeaderField("Retry-After")?.toDoubleOrNull()
                c.disconnect()
                if (status != 408 && status != 429 && status < 500) return false
            } catch (e: java.io.IOException) {
                // offline: try again shortly
            }
            if (tries < SHOWN_TRIES) Thread.sleep(min(10_000L, backoffMs(retryAfter, tries)))
        }
        return false
    }

    // Under `lock`: the session's id, after starting a new session if the old one went idle.
    private fun touch(): String {
        val now = System.currentTimeMillis()
        if (now - usedAt > SESSION_IDLE_MS) { sessionId = uuidv7(); sessionShown = 0; refused.clear() }
        usedAt = now
        return sessionId
    }

    /** Records on the device that survey `key` was shown (s), answered (a) or dismissed (d). */
    private fun remember(key: String, what: String, exempt: Boolean? = null) = synchronized(lock) {
        val m = memory()
        val surveys = m.optJSONObject("surveys") ?: JSONObject().also { m.put("surveys", it) }
        val c = surveys.optJSONObject(key) ?: JSONObject().also { surveys.put(key, it) }
        c.put(what, System.currentTimeMillis())
        exempt?.let { c.put("x", it) }
        if (what == "s" && !c.optBoolean("x")) { touch(); sessionShown++ }
        saveMemory(m)
    }

    private fun memory(): JSONObject = prefs.getString(memoryKey, null)?.let { JSONObject(it) }
        ?: JSONObject().put("surveys", JSONObject()).put("views", 0).put("first", System.currentTimeMillis())

    private fun saveMemory(m: JSONObject) = prefs.edit().putString(memoryKey, m.toString()).apply()

    /** The configuration JSON, with `show`: the survey for this person now. Call off the main thread. */
    fun config(): JSONObject {
        val q = StringBuilder()
        respondentId?.let { q.append("respondent_id=").append(enc(it)) }
        attributes.forEach { (k, v) -> q.append("&").append(enc("attributes[$k]")).append("=").append(enc(v)) }
        val c = open("GET", "/v1/widget/config?$q")
        c.inputStream.bufferedReader().use { return JSONObject(it.readText()) }
    }

    /**
     * Queues an answer (persisted first) and sends it; returns its id for the follow-up.
     * `answers` maps question keys to answers: a choice survey sends `{"main": …}` and no score.
     */
    fun answer(survey: String, score: Int?, comment: String? = null, category: String? = null, timeToAnswerMs: Long? = null,
               answers: JSONObject? = null): String {
        val id = uuidv7()
        val body = JSONObject().put("id", id).put("survey", survey).put("hp", "")
            .put("client_time", Instant.now().toString()).put("attributes", JSONObject(attributes))
        score?.let { body.put("score", it) }
        comment?.let { body.put("comment", it) }
        category?.let { body.put("category", it) }
        respondentId?.let { body.put("respondent_id", it) }
        timeToAnswerMs?.let { body.put("time_to_answer_ms", it) }
        answers?.let { body.put("answers", it) }
        remember(survey, "a")
        push(JSONObject().put("kind", "answer").put("id", id).put("body", body))
        return id
    }

    /** The follow-up comment: joins the answer while it still waits, else a PATCH. */
    fun followUp(id: String, comment: String) = worker.execute {
        val q = load()
        val waiting = (0 until q.length()).map { q.getJSONObject(it) }
            .firstOrNull { it.getString("kind") == "answer" && it.getString("id") == id }
        if (waiting != null) {
            waiting.getJSONObject("body").put("comment", comment); save(q); flushNow()
        } else {
            q.put(JSONObject().put("kind", "follow_up").put("id", id).put("body", JSONObject().put("comment", comment)))
            save(q); flushNow()
        }
    }

    /**
     * The answer to the additional question `key` of answer `id`: a JSONArray of option keys or
     * `{"options", "other"}` for a choice (FeedbackdRules.choiceAnswer), an Int for a rating, a
     * String for a text. Sent as PATCH /v1/responses/{id} `{"answers": {key: value}}`, queued
     * behind the answer itself so it never arrives first.
     */
    fun answerQuestion(id: String, key: String, value: Any) = push(
        JSONObject().put("kind", "follow_up").put("id", id).put("body", JSONObject().put("answers", JSONObject().put(key, value))),
    )

    /** The person closed the survey without answering: its recontact period starts. */
    fun dismiss(survey: String) {
        remember(survey, "d")
        worker.execute {
            val r = respondentId ?: return@execute
            runCatching { send("POST", "/v1/responses/dismiss", JSONObject().put("survey", survey).put("respondent_id", r)) }
        }
    }

    /** Sends what waits; call at start and from onStop too. */
    fun flush() = worker.execute { flushNow() }

    private fun push(item: JSONObject) = worker.execute {
        val q = load(); q.put(item); save(q); flushNow()
    }

    // Runs on the worker thread only, so the queue has one writer.
    private fun flushNow() {
        if (retry != null) return
        while (true) {
            val q = load()
            if (q.length() == 0) return
            val item = q.getJSONObject(0)
            val status: Int
            val retryAfter: String?
            try {
                val c = if (item.getString("kind") == "answer") send("POST", "/v1/responses", item.getJSONObject("body"))
                        else send("PATCH", "/v1/responses/${item.getString("id")}", item.getJSONObject("body"))
                status = c.responseCode
                retryAfter = c.getHeaderField("Retry-After")
                c.disconnect()
            } catch (e: java.io.IOException) {
                return schedule(null)
            }
            val permanent = status in 400..499 && status != 408 && status != 429
            if (status !in 200..299 && !permanent) return schedule(retryAfter?.toDoubleOrNull())
            // 201 stored, 200 replay of the same id, or a refusal no retry can fix.
            q.remove(0); save(q); failures = 0
        }
    }

    private fun schedule(seconds: Double?) {
        failures++
        retry = worker.schedule({ retry = null; flushNow() }, backoffMs(seconds, failures), TimeUnit.MILLISECONDS)
    }

    /** Retry-After when the server gave one, else exponential backoff with jitter. */
    private fun backoffMs(seconds: Double?, failures: Int): Long =
        ((seconds ?: (min(300.0, 2.0.pow(failures - 1)) * (0.5 + Math.random() / 2))) * 1000).toLong()

    private fun load() = JSONArray(prefs.getString("queue:${key.take(16)}", "[]"))
    private fun save(q: JSONArray) {
        val kept = JSONArray()
        for (i in maxOf(0, q.length() - QUEUE_MAX) until q.length()) kept.put(q.get(i))
        prefs.edit().putString("queue:${key.take(16)}", kept.toString()).apply()
    }

    private fun open(method: String, path: String): HttpURLConnection =
        (URL(host + path).openConnection() as HttpURLConnection).apply {
            requestMethod = method
            connectTimeout = 10_000; readTimeout = 10_000
            setRequestProperty("Authorization", "Bearer $key")
        }

    private fun send(method: String, path: String, body: JSONObject): HttpURLConnection {
        // Android's HttpURLConnection (OkHttp inside) accepts PATCH; the desktop JVM's does not.
        val c = open(method, path)
        c.doOutput = true
        c.setRequestProperty("Content-Type", "application/json")
        c.outputStream.use { it.write(body.toString().toByteArray()) }
        return c
    }

    private fun enc(s: String) = URLEncoder.encode(s, "UTF-8")

    companion object {
        const val QUEUE_MAX = 50
        /** Asking whether to show is retried briefly, with the same id; later, the moment passed. */
        const val SHOWN_TRIES = 3
        /** A session ends after this long without the client being used (the app was away). */
        const val SESSION_IDLE_MS = 30 * 60 * 1000L
        /** How long a fetched configuration is reused (its Cache-Control max-age). */
        const val CONFIG_TTL_MS = 60_000L
    }
}
