// The iOS snippet's question rules (sdk-snippets/ios/FeedbackdRules.swift) on the cases the
// React Native and Android snippets' rules are tested with in CI
// (tests/data/snippet-questions.json; tests/react-native/rules.test.mts and
// tests/kotlin/RulesTest.kt do the same checks). Not run in CI: no package registry this
// project's machines reach has a Swift toolchain. With one (Xcode, or swift.org's on Linux),
// from the repository's root:
//
//   swiftc sdk-snippets/ios/FeedbackdRules.swift tests/swift/main.swift -o /tmp/feedbackd-rules && /tmp/feedbackd-rules
import Foundation

struct Cases: Decodable {
    struct SurveyCase: Decodable { let kind: String; let scale: Question.Scale?; let questions: [Question]? }
    struct BandCase: Decodable { let kind: String; let scale: Question.Scale?; let score: Int; let band: String? }
    struct ShownCase: Decodable { let survey: String; let score: Int?; let options: [String]?; let keys: [String] }
    struct LocalizedCase: Decodable { let text: String; let locales: [String: String]?; let locale: String?; let expect: String }
    struct OrderCase: Decodable { let question: String; let shuffle: Bool; let random: [Double]?; let keys: [String] }
    struct PickCase: Decodable { let question: String; let picked: [String]; let tap: String; let keys: [String] }
    /// A choice answer as the file writes it: `["price"]` or `{"options": […], "other": "…"}`.
    struct Expected: Decodable {
        struct WithOther: Decodable { let options: [String]; let other: String }
        let value: ChoiceAnswer
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let keys = try? c.decode([String].self) {
                value = ChoiceAnswer(options: keys, other: nil)
            } else {
                let o = try c.decode(WithOther.self)
                value = ChoiceAnswer(options: o.options, other: o.other)
            }
        }
    }
    struct AnswerCase: Decodable { let question: String; let picked: [String]; let other: String; let answer: Expected? }
    let surveys: [String: SurveyCase]
    let bands: [BandCase]
    let shown: [ShownCase]
    let localized: [LocalizedCase]
    let order: [OrderCase]
    let picks: [PickCase]
    let answers: [AnswerCase]
}

var passed = 0
var failures: [String] = []
func check(_ what: String, _ ok: Bool) {
    if ok { passed += 1 } else { failures.append(what) }
}

let data = try Data(contentsOf: URL(fileURLWithPath: "tests/data/snippet-questions.json"))
let cases = try JSONDecoder().decode(Cases.self, from: data)
func question(_ ref: String) -> Question {
    let parts = ref.split(separator: "/").map(String.init)
    return cases.surveys[parts[0]]!.questions!.first(where: { $0.key == parts[1] })!
}

for c in cases.bands {
    let got = band(kind: c.kind, scaleMax: c.scale?.max, score: c.score)
    check("band of \(c.score) in \(c.kind): \(got ?? "nil"), not \(c.band ?? "nil")", got == c.band)
}

for c in cases.shown {
    let s = cases.surveys[c.survey]!
    let got = shownQuestions(s.questions, kind: s.kind, scaleMax: s.scale?.max, score: c.score, chosen: c.options ?? [])
        .map(\.key)
    let after = c.score.map { "\($0)" } ?? "\(c.options ?? [])"
    check("\(c.survey) after \(after): \(got), not \(c.keys)", got == c.keys)
}

for c in cases.localized {
    let got = localized(c.text, c.locales, languages: c.locale.map { [$0] } ?? [])
    check("\(c.text) in \(c.locale ?? "nil"): \(got), not \(c.expect)", got == c.expect)
}

for c in cases.order {
    var q = question(c.question)
    q.shuffle = c.shuffle
    var draws = c.random ?? []
    var overdrawn = false
    let got = optionOrder(q, random: {
        if draws.isEmpty { overdrawn = true; return 0 }
        return draws.removeFirst()
    }).map(\.key)
    check("order of \(c.question) (shuffle \(c.shuffle)): \(got), not \(c.keys)", got == c.keys)
    check("\(c.question): the shuffle drew no more numbers than the case gives", !overdrawn)
}

for c in cases.picks {
    let got = pick(question(c.question), c.picked, c.tap)
    check("\(c.question): \(c.tap) tapped with \(c.picked) picked: \(got), not \(c.keys)", got == c.keys)
}

for c in cases.answers {
    let got = choiceAnswer(question(c.question), c.picked, otherText: c.other)
    check("\(c.question) answer of \(c.picked) + \"\(c.other)\": \(String(describing: got))", got == c.answer?.value)
}

// With the platform's randomness: every order is a permutation of the active options with
// `other` last, and shuffling really moves them.
let reason = question("nps/reason")
var firsts = Set<String>()
for _ in 0..<200 {
    let keys = optionOrder(reason).map(\.key)
    firsts.insert(keys[0])
    check("a shuffled order keeps every active option, other last: \(keys)",
          keys.count == 3 && keys[2] == "other" && keys.sorted() == ["bugs", "other", "price"])
}
check("shuffling puts each option first sometimes: \(firsts)", firsts.count == 2)
let pmf = cases.surveys["pmf"]!, nps = cases.surveys["nps"]!
check("a choice survey has its main question", mainQuestion(kind: pmf.kind, questions: pmf.questions)?.key == "main")
check("a scored survey has none", mainQuestion(kind: nps.kind, questions: nps.questions) == nil)

for f in failures.prefix(20) { FileHandle.standardError.write("FAILED: \(f)\n".data(using: .utf8)!) }
print("swift-rules: \(passed) passed, \(failures.count) failed")
exit(failures.isEmpty ? 0 : 1)
