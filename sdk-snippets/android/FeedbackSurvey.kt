// A Jetpack Compose survey: the scale is a radio group (selectableGroup + Role.RadioButton,
// so TalkBack and a hardware keyboard can use it), then the follow-up text field.
package dev.feedbackd

import androidx.compose.foundation.layout.*
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.material3.*
import androidx.compose.runtime.*
import androidx.compose.ui.Modifier
import androidx.compose.ui.focus.FocusRequester
import androidx.compose.ui.focus.focusRequester
import androidx.compose.ui.semantics.*
import androidx.compose.ui.unit.dp
import org.json.JSONObject

@Composable
fun FeedbackSurvey(client: Feedbackd, survey: JSONObject, onClose: () -> Unit) {
    val shownAt = remember { System.currentTimeMillis() }
    var score by remember { mutableStateOf<Int?>(null) }
    var answerId by remember { mutableStateOf<String?>(null) }
    var comment by remember { mutableStateOf("") }
    val key = survey.getString("key")
    val scale = survey.optJSONObject("scale")
    val min = scale?.optInt("min", 0) ?: 0
    val max = scale?.optInt("max", 10) ?: 10
    val presentation = survey.optJSONObject("presentation") ?: JSONObject()
    val labels = presentation.optJSONObject("labels")

    Surface(shape = MaterialTheme.shapes.large, tonalElevation = 6.dp, modifier = Modifier.padding(16.dp)) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Row {
                Text(
                    if (answerId == null) survey.getString("question") else followUpQuestion(survey, score ?: 0),
                    style = MaterialTheme.typography.titleMedium,
                    modifier = Modifier.weight(1f).semantics { heading() },
                )
                TextButton(onClick = { if (answerId == null) client.dismiss(key); onClose() }) { Text("✕") }
            }
            if (answerId == null) {
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
                                .selectable(selected = score == n, role = Role.RadioButton, onClick = {
                                    score = n
                                    answerId = client.answer(key, n, timeToAnswerMs = System.currentTimeMillis() - shownAt)
                                }),
                            contentPadding = PaddingValues(0.dp),
                        ) { Text("$n") }
                    }
                }
                if (labels != null) Row {
                    Text(labels.optString("low"), style = MaterialTheme.typography.bodySmall)
                    Spacer(Modifier.weight(1f))
                    Text(labels.optString("high"), style = MaterialTheme.typography.bodySmall)
                }
            } else {
                val focus = remember { FocusRequester() }
                OutlinedTextField(comment, { comment = it }, Modifier.fillMaxWidth().focusRequester(focus), minLines = 3,
                    label = { Text(followUpQuestion(survey, score ?: 0)) })
                LaunchedEffect(Unit) { focus.requestFocus() }
                Row(Modifier.align(androidx.compose.ui.Alignment.End)) {
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

private fun followUpQuestion(survey: JSONObject, score: Int): String {
    val f = survey.optJSONObject("presentation")?.optJSONObject("follow_up")
    val band = if (survey.getString("kind") == "nps") when {
        score >= 9 -> "promoter"; score >= 7 -> "passive"; else -> "detractor"
    } else "question"
    return f?.optString(band)?.takeIf { it.isNotEmpty() } ?: f?.optString("question")?.takeIf { it.isNotEmpty() }
        ?: "What is the main reason for your score?"
}
