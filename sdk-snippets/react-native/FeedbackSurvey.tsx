// A survey for React Native: an accessible score scale (radio group) or, in a choice survey,
// its main options; then the survey's additional questions, one per step (issue 19); then the
// follow-up.
import React, { useRef, useState } from 'react';
import { Pressable, StyleSheet, Text, TextInput, View } from 'react-native';
import type { Feedbackd, Survey } from './feedbackd';
import {
  choiceAnswer, localized, mainQuestion, optionOrder, OTHER, pick, shownQuestions, type AnswerValue, type Question,
} from './rules';

export interface FeedbackSurveyProps {
  client: Feedbackd;
  survey: Survey;
  /** Called when the person is done, answered or not. */
  onClose: () => void;
  locale?: string;
}

/** The longest text answer, as the comment's. */
const TEXT_MAX = 5000;

export function FeedbackSurvey({ client, survey, onClose, locale }: FeedbackSurveyProps): React.JSX.Element {
  const shownAt = useRef(Date.now());
  const [answerId, setAnswerId] = useState<string | null>(null);
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  // The additional questions the main answer calls for, and the one on screen.
  const [steps, setSteps] = useState<Question[]>([]);
  const [step, setStep] = useState(0);
  const scale = survey.scale ?? { min: 0, max: 10 };
  const tr = (locale && survey.presentation.locales?.[locale]) || undefined;
  const question = tr?.question ?? survey.question;
  const labels = { ...survey.presentation.labels, ...tr?.labels };
  const main = mainQuestion(survey);

  async function choose(n: number): Promise<void> {
    setScore(n);
    setSteps(shownQuestions(survey, { score: n }));
    setAnswerId(await client.answer({ survey: survey.key, score: n, time_to_answer_ms: Date.now() - shownAt.current }));
  }

  /** A choice survey's main answer: sent first, alone, like a score. */
  async function chooseMain(value: AnswerValue): Promise<void> {
    const chosen = Array.isArray(value) ? value : typeof value === 'object' ? value.options : [];
    setSteps(shownQuestions(survey, { options: chosen }));
    setAnswerId(await client.answer({ survey: survey.key, answers: { main: value }, time_to_answer_ms: Date.now() - shownAt.current }));
  }

  function followUpQuestion(n: number | null): string {
    const f = survey.presentation.follow_up ?? {};
    const band = n === null ? undefined : n >= 9 ? f.promoter : n >= 7 ? f.passive : f.detractor;
    return (survey.kind === 'nps' ? band : undefined) ?? f.question ?? 'What is the main reason for your score?';
  }

  const close = (
    <Pressable accessibilityRole="button" accessibilityLabel="Close" style={styles.close}
      onPress={() => { if (answerId === null) void client.dismiss(survey.key); onClose(); }}><Text>×</Text></Pressable>
  );

  if (answerId !== null && step < steps.length) {
    const q = steps[step];
    return (
      <View style={styles.box} accessibilityViewIsModal>
        {close}
        <QuestionStep key={q.key} q={q} title={localized(q.text ?? '', q.locales, locale)} locale={locale}
          progress={steps.length > 1 ? `${step + 1} of ${steps.length}` : undefined} send="Next"
          onSkip={() => setStep(step + 1)}
          onAnswer={(value) => {
            // Each answer goes at once (PATCH), so leaving halfway loses nothing answered.
            void client.answerQuestion(answerId, q.key, value);
            setStep(step + 1);
          }} />
      </View>
    );
  }

  if (answerId !== null) {
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

  if (main) {
    return (
      <View style={styles.box} accessibilityViewIsModal>
        {close}
        <QuestionStep q={main} title={question} locale={locale} send="Send" onAnswer={(value) => void chooseMain(value)} />
      </View>
    );
  }

  const scores: number[] = [];
  for (let n = scale.min; n <= scale.max; n++) scores.push(n);
  return (
    <View style={styles.box} accessibilityViewIsModal>
      {close}
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

interface QuestionStepProps {
  q: Question;
  title: string;
  locale?: string;
  /** "2 of 3" when there are several steps. */
  progress?: string;
  /** The label of the button that sends the answer. */
  send: string;
  onAnswer: (value: AnswerValue) => void;
  /** Absent: the question must be answered (a choice survey's main question) or closed. */
  onSkip?: () => void;
}

/** One question: choice (radio group, or checkboxes when several may be picked, with the text
 *  of `other`), rating (a radio group) or text; its answer, or a skip. */
function QuestionStep({ q, title, locale, progress, send, onAnswer, onSkip }: QuestionStepProps): React.JSX.Element {
  const [options] = useState(() => optionOrder(q)); // shuffled once, when the step appears
  const [picked, setPicked] = useState<string[]>([]);
  const [other, setOther] = useState('');
  const [rating, setRating] = useState<number | null>(null);
  const [text, setText] = useState('');
  const id = `fbq-${q.key}`;
  const scale = q.scale ?? { min: 1, max: 5 };

  let value: AnswerValue | null = null;
  if (q.kind === 'choice') value = choiceAnswer(q, picked, other);
  else if (q.kind === 'rating') value = rating;
  else if (text.trim()) value = text.trim();

  const ratings: number[] = [];
  for (let n = scale.min; n <= scale.max; n++) ratings.push(n);
  const otherOption = q.other ? options.find((o) => o.key === OTHER) : undefined;

  return (
    <View>
      {progress && <Text accessibilityLabel={`Question ${progress}`}>{progress}</Text>}
      <Text style={styles.question} accessibilityRole="header" nativeID={id}>{title}</Text>
      {q.kind === 'choice' && (
        <View style={styles.column} accessibilityRole={q.multiple ? undefined : 'radiogroup'} accessibilityLabel={title}>
          {options.map((o) => {
            const checked = picked.includes(o.key);
            return (
              <Pressable key={o.key} style={[styles.option, checked && styles.picked]}
                accessibilityRole={q.multiple ? 'checkbox' : 'radio'} accessibilityState={{ checked }}
                accessibilityLabel={localized(o.label, o.locales, locale)}
                onPress={() => setPicked(pick(q, picked, o.key))}>
                <Text>{localized(o.label, o.locales, locale)}</Text>
              </Pressable>
            );
          })}
        </View>
      )}
      {otherOption && picked.includes(OTHER) && (
        <TextInput style={styles.input} maxLength={TEXT_MAX} value={other} onChangeText={setOther} autoFocus
          accessibilityLabel={localized(otherOption.label, otherOption.locales, locale)} />
      )}
      {q.kind === 'rating' && (
        <View style={styles.row} accessibilityRole="radiogroup" accessibilityLabel={title}>
          {ratings.map((n) => (
            <Pressable key={n} style={styles.score} accessibilityRole="radio" accessibilityState={{ checked: rating === n }}
              accessibilityLabel={`${n} of ${scale.max}${n === scale.min && q.labels?.low ? `, ${q.labels.low}` : ''}${n === scale.max && q.labels?.high ? `, ${q.labels.high}` : ''}`}
              onPress={() => setRating(n)}>
              <Text>{n}</Text>
            </Pressable>
          ))}
        </View>
      )}
      {q.kind === 'rating' && (q.labels?.low || q.labels?.high) && (
        <View style={styles.row}><Text>{q.labels?.low}</Text><Text>{q.labels?.high}</Text></View>
      )}
      {q.kind === 'text' && (
        <TextInput style={styles.input} multiline maxLength={TEXT_MAX} value={text} onChangeText={setText}
          accessibilityLabelledBy={id} accessibilityLabel={title} autoFocus />
      )}
      <View style={styles.row}>
        {onSkip && <Pressable accessibilityRole="button" onPress={onSkip}><Text>Skip</Text></Pressable>}
        <Pressable accessibilityRole="button" accessibilityState={{ disabled: value === null }} disabled={value === null}
          onPress={() => { if (value !== null) onAnswer(value); }}><Text>{send}</Text></Pressable>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { padding: 16, borderRadius: 12, backgroundColor: '#fff' },
  close: { position: 'absolute', top: 8, right: 8, padding: 8 },
  question: { fontSize: 16, fontWeight: '600', marginBottom: 12, marginRight: 32 },
  row: { flexDirection: 'row', justifyContent: 'space-between', flexWrap: 'wrap', gap: 4 },
  column: { gap: 4, marginBottom: 8 },
  score: { minWidth: 28, minHeight: 44, alignItems: 'center', justifyContent: 'center', borderWidth: 1, borderRadius: 6 },
  option: { minHeight: 44, justifyContent: 'center', paddingHorizontal: 12, borderWidth: 1, borderRadius: 6 },
  picked: { borderWidth: 2, backgroundColor: '#eef2ff' },
  input: { minHeight: 80, borderWidth: 1, borderRadius: 6, padding: 8, textAlignVertical: 'top' },
});
