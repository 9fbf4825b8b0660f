// A survey for React Native: an accessible score scale (radio group), then the follow-up.
import React, { useRef, useState } from 'react';
import { Pressable, StyleSheet, Text, TextInput, View } from 'react-native';
import type { Feedbackd, Survey } from './feedbackd';

export interface FeedbackSurveyProps {
  client: Feedbackd;
  survey: Survey;
  /** Called when the person is done, answered or not. */
  onClose: () => void;
  locale?: string;
}

export function FeedbackSurvey({ client, survey, onClose, locale }: FeedbackSurveyProps): React.JSX.Element {
  const shownAt = useRef(Date.now());
  const [answerId, setAnswerId] = useState<string | null>(null);
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const scale = survey.scale ?? { min: 0, max: 10 };
  const tr = (locale && survey.presentation.locales?.[locale]) || undefined;
  const question = tr?.question ?? survey.question;
  const labels = { ...survey.presentation.labels, ...tr?.labels };

  async function choose(n: number): Promise<void> {
    setScore(n);
    setAnswerId(await client.answer({ survey: survey.key, score: n, time_to_answer_ms: Date.now() - shownAt.current }));
  }

  function followUpQuestion(n: number): string {
    const f = survey.presentation.follow_up ?? {};
    const band = n >= 9 ? f.promoter : n >= 7 ? f.passive : f.detractor;
    return (survey.kind === 'nps' ? band : undefined) ?? f.question ?? 'What is the main reason for your score?';
  }

  if (answerId !== null && score !== null) {
    return (
      <View style={styles.box} accessibilityViewIsModal>
        <Text style={styles.question} nativeID="fbq">{followUpQuestion(score)}</Text>
        <TextInput style={styles.input} multiline maxLength={5000} value={comment} onChangeText={setComment}
          accessibilityLabelledBy="fbq" autoFocus />
        <View style={styles.row}>
          <Pressable accessibilityRole="button" onPress={onClose}><Text>Skip</Text></Pressable>
          <Pressable accessibilityRole="button" onPress={() => {
            if (comment.trim()) void client.followUp(answerId, comment.trim());
            onClose();
          }}><Text>Send</Text></Pressable>
        </View>
      </View>
    );
  }

  const scores: number[] = [];
  for (let n = scale.min; n <= scale.max; n++) scores.push(n);
  return (
    <View style={styles.box} accessibilityViewIsModal>
      <Pressable accessibilityRole="button" accessibilityLabel="Close" style={styles.close}
        onPress={() => { void client.dismiss(survey.key); onClose(); }}><Text>×</Text></Pressable>
      <Text style={styles.question} accessibilityRole="header">{question}</Text>
      <View style={styles.row} accessibilityRole="radiogroup" accessibilityLabel={question}>
        {scores.map((n) => (
          <Pressable key={n} style={styles.score} accessibilityRole="radio"
            accessibilityState={{ checked: score === n }}
            accessibilityLabel={`${n} of ${scale.max}${n === scale.min && labels.low ? `, ${labels.low}` : ''}${n === scale.max && labels.high ? `, ${labels.high}` : ''}`}
            onPress={() => void choose(n)}>
            <Text>{n}</Text>
          </Pressable>
        ))}
      </View>
      {(labels.low || labels.high) && (
        <View style={styles.row}><Text>{labels.low}</Text><Text>{labels.high}</Text></View>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  box: { padding: 16, borderRadius: 12, backgroundColor: '#fff' },
  close: { position: 'absolute', top: 8, right: 8, padding: 8 },
  question: { fontSize: 16, fontWeight: '600', marginBottom: 12, marginRight: 32 },
  row: { flexDirection: 'row', justifyContent: 'space-between', flexWrap: 'wrap', gap: 4 },
  score: { minWidth: 28, minHeight: 44, alignItems: 'center', justifyContent: 'center', borderWidth: 1, borderRadius: 6 },
  input: { minHeight: 80, borderWidth: 1, borderRadius: 6, padding: 8, textAlignVertical: 'top' },
});
