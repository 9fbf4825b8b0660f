// The React Native snippet's question rules (sdk-snippets/react-native/rules.ts) on the cases
// the Android snippet's are tested with (tests/data/snippet-questions.json): which additional
// questions follow a main answer, the bands, localized labels, the option order, taps and what
// a choice answer sends. Compiled by tsc (tsconfig.json here) and run by node; driven by
// tests/api/snippets.rs.
import {
  band, choiceAnswer, localized, mainQuestion, optionOrder, pick, shownQuestions,
  type Band, type Question, type QuestionsOf,
} from '../../sdk-snippets/react-native/rules.js';
import cases from '../data/snippet-questions.json' with { type: 'json' };

declare const process: { exitCode?: number };

let passed = 0;
const failures: string[] = [];
function check(what: string, ok: boolean): void {
  if (ok) passed++;
  else failures.push(what);
}
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const surveys = cases.surveys as unknown as Record<string, QuestionsOf>;
function question(ref: string): Question {
  const [survey, key] = ref.split('/');
  const q = surveys[survey].questions?.find((x) => x.key === key);
  if (!q) throw new Error(`no question ${ref}`);
  return q;
}

for (const c of cases.bands) {
  const got = band(c.kind, c.scale, c.score);
  check(`band of ${c.score} in ${c.kind} ${JSON.stringify(c.scale)}: ${got}, not ${c.band}`, got === (c.band as Band | null));
}

for (const c of cases.shown as { survey: string; score?: number; options?: string[]; keys: string[] }[]) {
  const got = shownQuestions(surveys[c.survey], { score: c.score, options: c.options }).map((q) => q.key);
  check(`${c.survey} after ${JSON.stringify(c.score ?? c.options ?? null)}: ${got}, not ${c.keys}`, same(got, c.keys));
}

for (const c of cases.localized) {
  const got = localized(c.text, (c.locales as Record<string, string> | null) ?? undefined, c.locale ?? undefined);
  check(`${c.text} in ${c.locale} with ${JSON.stringify(c.locales)}: ${got}, not ${c.expect}`, got === c.expect);
}

for (const c of cases.order) {
  const q = { ...question(c.question), shuffle: c.shuffle };
  const draws = [...(c.random ?? [])];
  const random = (): number => {
    const r = draws.shift();
    if (r === undefined) throw new Error(`${c.question}: the shuffle drew more numbers than the case gives`);
    return r;
  };
  const got = optionOrder(q, random).map((o) => o.key);
  check(`order of ${c.question} (shuffle ${c.shuffle}, random ${c.random}): ${got}, not ${c.keys}`, same(got, c.keys));
}

for (const c of cases.picks) {
  const got = pick(question(c.question), c.picked, c.tap);
  check(`${c.question}: ${c.tap} tapped with ${c.picked} picked: ${got}, not ${c.keys}`, same(got, c.keys));
}

for (const c of cases.answers) {
  const got = choiceAnswer(question(c.question), c.picked, c.other);
  check(`${c.question} answer of ${c.picked} + "${c.other}": ${JSON.stringify(got)}, not ${JSON.stringify(c.answer)}`,
    same(got, c.answer));
}

// With the platform's randomness: every order is a permutation of the active options with
// `other` last, and shuffling really moves them.
const reason = question('nps/reason');
const firsts = new Set<string>();
for (let i = 0; i < 200; i++) {
  const keys = optionOrder(reason).map((o) => o.key);
  firsts.add(keys[0]);
  check(`a shuffled order keeps every active option, other last: ${keys}`,
    keys.length === 3 && keys[2] === 'other' && same([...keys].sort(), ['bugs', 'other', 'price']));
}
check(`shuffling puts each option first sometimes: ${[...firsts]}`, firsts.size === 2);

check('a choice survey has its main question', mainQuestion(surveys.pmf)?.key === 'main');
check('a scored survey has none', mainQuestion(surveys.nps) === undefined);

failures.slice(0, 20).forEach((f) => console.error(`FAILED: ${f}`));
console.log(`react-native-rules: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0) process.exitCode = 1;
