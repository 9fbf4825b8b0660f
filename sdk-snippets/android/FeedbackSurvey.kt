// A Jetpack Compose survey: the scale is a radio group (selectableGroup + Role.RadioButton,
// so TalkBack and a hardware keyboard can use it), or in a choice survey its main options; then
// the survey's additional questions, one per step (issue 19); then the follow-up text field.
package dev.feedbackd

import androidx.compose.foundation.layout.*
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.*
import androidx.compose.runtime.*
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.focus.FocusRequester
import androidx.compose.ui.focus.focusRequester
import androidx.compose.ui.semantics.*
import androidx.compose.ui.unit.dp
import org.json.JSONArray
import org.json.JSONObject
import java.util.Locale

/** The longest text answer, as the comment's. */
private const val TEXT_MAX = 5000

@Composable
fun FeedbackSurvey(
    client: Feedbackd,
    survey: JSONObject,
    onClose: () -> Unit,
    /** The language of the questions' and options' `locales` (a tag such as `de-CH`). */
    locale: String? = Locale.getDefault().toLanguageTag(),
) {
    val shownAt = remember { System.currentTimeMillis() }
    var score by remember { mutableStateOf<Int?>(null) }
    var answerId by remember { mutableStateOf<String?>(null) }
    var comment by remember { mutableStateOf("") }
    // The additional questions the main answer calls for, and the one on screen.
    var steps by remember { mutableStateOf(emptyList<JSONObject>()) }
    var step by remember { mutableStateOf(0) }
    val surveyKey = survey.getString("key")
    val main = remember(survey) { FeedbackdRules.mainQuestion(survey) }
    val scale = survey.optJSONObject("scale")
    val min = scale?.optInt("min", 0) ?: 0
    val max = scale?.optInt("max", 10) ?: 10
    val presentation = survey.optJSONObject("presentation") ?: JSONObject()
    val labels = presentation.optJSONObject("labels")
    val current = if (answerId != null && step < steps.size) steps[step] else null

    Surface(shape = MaterialTheme.shapes.large, tonalElevation = 6.dp, modifier = Modifier.padding(16.dp)) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Row {
                Text(
                    when {
                        answerId == null -> survey.getString("question")
                        current != null -> FeedbackdRules.localized(current.optString("text"), current.optJSONObject("locales"), locale)
                        else -> followUpQuestion(survey, score)
                    },
                    style = MaterialTheme.typography.titleMedium,
                    modifier = Modifier.weight(1f).semantics { heading() },
                )
                TextButton(
                    onClick = { if (answerId == null) client.dismiss(surveyKey); onClose() },
                    modifier = Modifier.semantics { contentDescription = "Close" },
                ) { Text("✕") }
            }
            when {
                answerId == null && main != null -> QuestionStep(main, survey.getString("question"), locale, "Send", onSkip = null) { value ->
                    // A choice survey's main answer: sent first, alone, like a score.
                    steps = FeedbackdRules.shownQuestions(survey, null, chosenKeys(value))
                    answerId = client.answer(surveyKey, null, timeToAnswerMs = System.currentTimeMillis() - shownAt,
                        answers = JSONObject().put(FeedbackdRules.MAIN, value))
                }
                answerId == null -> ScaleRow(min, max, labels, score) { n ->
                    score = n
                    steps = FeedbackdRules.shownQuestions(survey, n, emptyList())
                    answerId = client.answer(surveyKey, n, timeToAnswerMs = System.currentTimeMillis() - shownAt)
                }
                current != null -> {
                    if (steps.size > 1) {
                        val progress = "${step + 1} of ${steps.size}"
                        Text(progress, style = MaterialTheme.typography.bodySmall,
                            modifier = Modifier.semantics { contentDescription = "Question $progress" })
                    }
                    key(current.getString("key")) {
                        val title = FeedbackdRules.localized(current.optString("text"), current.optJSONObject("locales"), locale)
                        QuestionStep(current, title, locale, "Next", onSkip = { step++ }) { value ->
                            // Each answer goes at once (PATCH), so leaving halfway loses nothing answered.
                            client.answerQuestion(answerId!!, current.getString("key"), value)
                            step++
                        }
                    }
                }
                else -> {
                    val focus = remember { FocusRequester() }
                    OutlinedTextField(comment, { comment = it }, Modifier.fillMaxWidth().focusRequester(focus), minLines = 3,
                        label = { Text(followUpQuestion(survey, score)) })
                    LaunchedEffect(Unit) { focus.requestFocus() }
                    Row(Modifier.align(Alignment.End)) {
                        TextButton(onClick = onClose) { Text("Skip") }
                        Button(onClick = {
                            comment.trim().takeIf { it.isNotEmpty() }?.let { client.followUp(answerId!!, it) }
                            onClose()
                        }) { Text("Send") }
                    }
                }
            }
        }
    }
}

/** A scale as a radio group: each point a button described as "9 of 10" (with the end labels). */
@Composable
private fun ScaleRow(min: Int, max: Int, labels: JSONObject?, selected: Int?, onPick: (Int) -> Unit) {
    Row(Modifier.selectableGroup(), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
        for (n in min..max) {
            val description = buildString {
                append("$n of $max")
                if (n == min) labels?.optString("low")?.takeIf { it.isNotEmpty() }?.let { append(", $it") }
                if (n == max) labels?.optString("high")?.takeIf { it.isNotEmpty() }?.let { append(", $it") }
            }
            OutlinedButton(
                onClick = {},
                modifier = Modifier.weight(1f).heightIn(min = 48.dp)
                    .semantics { contentDescription = description }
                    .selectable(selected = selected == n, role = Role.RadioButton, onClick = { onPick(n) }),
                contentPadding = PaddingValues(0.dp),
            ) { Text("$n") }
        }
    }
    if (labels != null) Row {
        Text(labels.optString("low"), style = MaterialTheme.typography.bodySmall)
        Spacer(Modifier.weight(1f))
        Text(labels.optString("high"), style = MaterialTheme.typography.bodySmall)
    }
}

/**
 * One question: choice (a radio group, or checkboxes when several may be picked, with the text
 * of `other`), rating (a radio group) or text; `onAnswer` gets what to send. Without `onSkip`
 * the question must be answered (a choice survey's main question) or the survey closed.
 */
@Composable
private fun QuestionStep(q: JSONObject, title: String, locale: String?, send: String, onSkip: (() -> Unit)?, onAnswer: (Any) -> Unit) {
    val options = remember { FeedbackdRules.optionOrder(q) } // shuffled once, when the step appears
    var picked by remember { mutableStateOf(emptyList<String>()) }
    var other by remember { mutableStateOf("") }
    var rating by remember { mutableStateOf<Int?>(null) }
    var text by remember { mutableStateOf("") }
    val kind = q.optString("kind")
    val value: Any? = when (kind) {
        "choice" -> FeedbackdRules.choiceAnswer(q, picked, other)
        "rating" -> rating
        else -> text.trim().takeIf { it.isNotEmpty() }
    }
    fun label(o: JSONObject) = FeedbackdRules.localized(o.getString("label"), o.optJSONObject("locales"), locale)

    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (kind == "choice") {
            val multiple = q.optBoolean("multiple")
            Column(if (multiple) Modifier else Modifier.selectableGroup()) {
                for (o in options) {
                    val optionKey = o.getString("key")
                    val checked = optionKey in picked
                    val tap = { picked = FeedbackdRules.pick(q, picked, optionKey) }
                    Row(
                        Modifier.fillMaxWidth().heightIn(min = 48.dp).then(
                            if (multiple) Modifier.toggleable(value = checked, role = Role.Checkbox, onValueChange = { tap() })
                            else Modifier.selectable(selected = checked, role = Role.RadioButton, onClick = tap),
                        ),
                        verticalAlignment = Alignment.CenterVertically,
                    ) {
                        if (multiple) Checkbox(checked = checked, onCheckedChange = null) else RadioButton(selected = checked, onClick = null)
                        Text(label(o), Modifier.padding(start = 8.dp))
                    }
                }
            }
            val otherOption = options.firstOrNull { it.getString("key") == FeedbackdRules.OTHER }
            if (q.optBoolean("other") && otherOption != null && FeedbackdRules.OTHER in picked) {
                OutlinedTextField(other, { other = it.take(TEXT_MAX) }, Modifier.fillMaxWidth(), singleLine = true,
                    label = { Text(label(otherOption)) })
            }
        }
        if (kind == "rating") {
            val s = q.optJSONObject("scale")
            ScaleRow(s?.optInt("min", 1) ?: 1, s?.optInt("max", 5) ?: 5, q.optJSONObject("labels"), rating) { rating = it }
        }
        if (kind == "text") {
            OutlinedTextField(text, { text = it.take(TEXT_MAX) }, Modifier.fillMaxWidth(), minLines = 3, label = { Text(title) })
        }
        Row(Modifier.align(Alignment.End)) {
            onSkip?.let { TextButton(onClick = it) { Text("Skip") } }
            Button(onClick = { value?.let(onAnswer) }, enabled = value != null) { Text(send) }
        }
    }
}

/** The option keys of a choice answer (a JSONArray, or `{"options", "other"}`). */
private fun chosenKeys(value: Any): List<String> {
    val a = (value as? JSONObject)?.optJSONArray("options") ?: value as? JSONArray ?: return emptyList()
    return (0 until a.length()).map { a.getString(it) }
}

private fun followUpQuestion(survey: JSONObject, score: Int?): String {
    val f = survey.optJSONObject("presentation")?.optJSONObject("follow_up")
    val band = if (survey.getString("kind") == "nps" && score != null) when {
        score >= 9 -> "promoter"; score >= 7 -> "passive"; else -> "detractor"
    } else "question"
    return f?.optString(band)?.takeIf { it.isNotEmpty() } ?: f?.optString("question")?.takeIf { it.isNotEmpty() }
        ?: "What is the main reason for your score?"
}
