// feedbackd client for Android (Kotlin, no dependencies beyond the platform): UUIDv7 ids, a
// persistent bounded queue (SharedPreferences), retries with backoff that honour
// Retry-After, on one background thread. Only ever a publishable key (fbk_pub_…) in an app.
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

    fun identify(respondentId: String?, attributes: Map<String, String> = emptyMap()) {
        this.respondentId = respondentId; this.attributes = attributes
    }

    /** The configuration JSON, with `show`: the survey for this person now. Call off the main thread. */
    fun config(): JSONObject {
        val q = StringBuilder()
        respondentId?.let { q.append("respondent_id=").append(enc(it)) }
        attributes.forEach { (k, v) -> q.append("&").append(enc("attributes[$k]")).append("=").append(enc(v)) }
        val c = open("GET", "/v1/widget/config?$q")
        c.inputStream.bufferedReader().use { return JSONObject(it.readText()) }
    }

    /** Queues an answer (persisted first) and sends it; returns its id for the follow-up. */
    fun answer(survey: String, score: Int?, comment: String? = null, category: String? = null, timeToAnswerMs: Long? = null): String {
        val id = uuidv7()
        val body = JSONObject().put("id", id).put("survey", survey).put("hp", "")
            .put("client_time", Instant.now().toString()).put("attributes", JSONObject(attributes))
        score?.let { body.put("score", it) }
        comment?.let { body.put("comment", it) }
        category?.let { body.put("category", it) }
        respondentId?.let { body.put("respondent_id", it) }
        timeToAnswerMs?.let { body.put("time_to_answer_ms", it) }
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

    /** The person closed the survey without answering: its recontact period starts. */
    fun dismiss(survey: String) = worker.execute {
        val r = respondentId ?: return@execute
        runCatching { send("POST", "/v1/responses/dismiss", JSONObject().put("survey", survey).put("respondent_id", r)) }
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
        val backoff = min(300.0, 2.0.pow(failures - 1)) * (0.5 + Math.random() / 2)
        retry = worker.schedule({ retry = null; flushNow() }, ((seconds ?: backoff) * 1000).toLong(), TimeUnit.MILLISECONDS)
    }

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

    companion object { const val QUEUE_MAX = 50 }
}
