// A SwiftUI survey: the score scale as one adjustable VoiceOver element (swipe up/down), or in a
// choice survey its main options; then the survey's additional questions, one per step (issue
// 19); then a follow-up text field, and a close button that records the dismissal.
import SwiftUI

public struct FeedbackSurveyView: View {
    let client: Feedbackd
    let survey: Survey
    let onClose: () -> Void
    @State private var shownAt = Date()
    @State private var answerId: String?
    @State private var score: Int?
    @State private var comment = ""
    /// The additional questions the main answer calls for, and the one on screen.
    @State private var steps: [Question] = []
    @State private var step = 0
    @FocusState private var commentFocused: Bool

    public init(client: Feedbackd, survey: Survey, onClose: @escaping () -> Void) {
        self.client = client; self.survey = survey; self.onClose = onClose
    }

    private var texts: Survey.Texts? {
        let tags = Locale.preferredLanguages.flatMap { [$0, String($0.prefix(2))] }
        return tags.lazy.compactMap { survey.presentation.locales?[$0] }.first
    }
    private var scale: Survey.Scale { survey.scale ?? Survey.Scale(min: 0, max: 10) }
    private var current: Question? { answerId != nil && step < steps.count ? steps[step] : nil }
    private var title: String {
        if answerId == nil { return texts?.question ?? survey.question }
        if let q = current { return localized(q.text ?? "", q.locales, languages: Locale.preferredLanguages) }
        return followUpQuestion
    }

    public var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            HStack(alignment: .top) {
                Text(title).font(.headline).accessibilityAddTraits(.isHeader)
                Spacer()
                Button { Task { if answerId == nil { await client.dismiss(survey: survey.key) } }; onClose() } label: {
                    Image(systemName: "xmark")
                }.accessibilityLabel("Close")
            }
            if answerId == nil {
                if let main = mainQuestion(kind: survey.kind, questions: survey.questions) {
                    QuestionStepView(question: main, title: title, languages: Locale.preferredLanguages, send: "Send",
                                     onSkip: nil) { value, chosen in chooseMain(value, chosen) }
                } else {
                    scaleView
                }
            } else if let q = current {
                if steps.count > 1 {
                    Text("\(step + 1) of \(steps.count)").font(.caption).foregroundStyle(.secondary)
                        .accessibilityLabel("Question \(step + 1) of \(steps.count)")
                }
                QuestionStepView(question: q, title: title, languages: Locale.preferredLanguages, send: "Next",
                                 onSkip: { step += 1 }) { value, _ in
                    // Each answer goes at once (PATCH), so leaving halfway loses nothing answered.
                    if let answerId { Task { await client.answerQuestion(id: answerId, key: q.key, value: value) } }
                    step += 1
                }
                .id(q.key)
            } else {
                followUpView
            }
        }
        .padding()
        .background(.background, in: RoundedRectangle(cornerRadius: 12))
        .shadow(radius: 8)
    }

    private var scaleView: some View {
        let low = texts?.labels?.low ?? survey.presentation.labels?.low
        let high = texts?.labels?.high ?? survey.presentation.labels?.high
        return VStack(spacing: 4) {
            HStack(spacing: 4) {
                ForEach(scale.min...scale.max, id: \.self) { n in
                    Button("\(n)") { choose(n) }
                        .frame(minWidth: 28, minHeight: 44)
                        .accessibilityLabel("\(n) of \(scale.max)")
                        .accessibilityAddTraits(score == n ? .isSelected : [])
                }
            }
            if low != nil || high != nil {
                HStack { Text(low ?? ""); Spacer(); Text(high ?? "") }.font(.caption).foregroundStyle(.secondary)
            }
        }
        // VoiceOver: one adjustable element; swipe to pick a score, double-tap to send.
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(texts?.question ?? survey.question)
        .accessibilityValue(score.map { "\($0) of \(scale.max)" } ?? "none")
        .accessibilityAdjustableAction { direction in
            let current = score ?? (scale.min - 1)
            score = direction == .increment ? min(scale.max, current + 1) : max(scale.min, current - 1)
        }
        .accessibilityAction { if let score { choose(score) } }
    }

    private var followUpView: some View {
        VStack(alignment: .trailing) {
            TextField(followUpQuestion, text: $comment, axis: .vertical)
                .lineLimit(3...6).textFieldStyle(.roundedBorder).focused($commentFocused)
            HStack {
                Button("Skip", action: onClose)
                Button("Send") {
                    let text = comment.trimmingCharacters(in: .whitespacesAndNewlines)
                    if let answerId, !text.isEmpty { Task { await client.followUp(id: answerId, comment: text) } }
                    onClose()
                }.buttonStyle(.borderedProminent)
            }
        }.onAppear { commentFocused = true }
    }

    private var followUpQuestion: String {
        let f = texts?.follow_up ?? survey.presentation.follow_up
        let n = score ?? 0
        let band = survey.kind == "nps" ? (n >= 9 ? f?.promoter : n >= 7 ? f?.passive : f?.detractor) : nil
        return band ?? f?.question ?? "What is the main reason for your score?"
    }

    private func choose(_ n: Int) {
        score = n
        steps = shownQuestions(survey.questions, kind: survey.kind, scaleMax: survey.scale?.max, score: n, chosen: [])
        let elapsed = Date().timeIntervalSince(shownAt)
        Task { answerId = await client.answer(survey: survey.key, score: n, timeToAnswer: elapsed) }
    }

    /// A choice survey's main answer: sent first, alone, like a score.
    private func chooseMain(_ value: JSONValue, _ chosen: [String]) {
        steps = shownQuestions(survey.questions, kind: survey.kind, scaleMax: nil, score: nil, chosen: chosen)
        let elapsed = Date().timeIntervalSince(shownAt)
        Task {
            answerId = await client.answer(survey: survey.key, score: nil, timeToAnswer: elapsed,
                                           answers: [mainQuestionKey: value])
        }
    }
}

/// One question: choice (options to tap, several when `multiple`, with the text of `other`),
/// rating (a scale, one adjustable VoiceOver element) or text. `onAnswer` gets what to send and
/// the option keys chosen; without `onSkip` the question must be answered (a choice survey's
/// main question) or the survey closed.
struct QuestionStepView: View {
    let question: Question
    let title: String
    let languages: [String]
    let send: String
    let onSkip: (() -> Void)?
    let onAnswer: (JSONValue, [String]) -> Void
    @State private var options: [QuestionOption]
    @State private var picked: [String] = []
    @State private var other = ""
    @State private var rating: Int?
    @State private var text = ""

    init(question: Question, title: String, languages: [String], send: String, onSkip: (() -> Void)?,
         onAnswer: @escaping (JSONValue, [String]) -> Void) {
        self.question = question; self.title = title; self.languages = languages; self.send = send
        self.onSkip = onSkip; self.onAnswer = onAnswer
        _options = State(initialValue: optionOrder(question)) // shuffled once, when the step appears
    }

    /// The longest text answer, as the comment's.
    private static let textMax = 5000
    private var scale: Question.Scale { question.scale ?? Question.Scale(min: 1, max: 5) }
    private func label(_ o: QuestionOption) -> String { localized(o.label, o.locales, languages: languages) }

    /// What Next sends; nil while there is nothing to send.
    private var value: JSONValue? {
        switch question.kind {
        case "choice": return choiceAnswer(question, picked, otherText: other)?.json
        case "rating": return rating.map { JSONValue.number(Double($0)) }
        default:
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : JSONValue.string(String(t.prefix(Self.textMax)))
        }
    }

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            if question.kind == "choice" { choices }
            if question.kind == "rating" { ratingView }
            if question.kind == "text" {
                TextField(title, text: $text, axis: .vertical)
                    .lineLimit(3...6).textFieldStyle(.roundedBorder).accessibilityLabel(title)
            }
            HStack {
                Spacer()
                if let onSkip { Button("Skip", action: onSkip) }
                Button(send) { if let value { onAnswer(value, question.kind == "choice" ? picked : []) } }
                    .buttonStyle(.borderedProminent).disabled(value == nil)
            }
        }
    }

    private var choices: some View {
        let multiple = question.multiple == true
        let otherOption = question.other == true ? options.first(where: { $0.key == otherOptionKey }) : nil
        return VStack(alignment: .leading, spacing: 4) {
            ForEach(options) { o in
                let checked = picked.contains(o.key)
                Button { picked = pick(question, picked, o.key) } label: {
                    HStack {
                        Image(systemName: checked ? (multiple ? "checkmark.square.fill" : "largecircle.fill.circle")
                                                  : (multiple ? "square" : "circle"))
                            .accessibilityHidden(true)
                        Text(label(o))
                        Spacer()
                    }
                    .frame(minHeight: 44)
                    .contentShape(Rectangle())
                }
                .buttonStyle(.plain)
                .accessibilityLabel(label(o))
                .accessibilityAddTraits(checked ? .isSelected : [])
            }
            if let otherOption, picked.contains(otherOptionKey) {
                TextField(label(otherOption), text: $other).textFieldStyle(.roundedBorder)
                    .accessibilityLabel(label(otherOption))
            }
        }
        .accessibilityElement(children: .contain)
        .accessibilityLabel(title)
    }

    private var ratingView: some View {
        VStack(spacing: 4) {
            HStack(spacing: 4) {
                ForEach(scale.min...scale.max, id: \.self) { n in
                    Button("\(n)") { rating = n }
                        .frame(minWidth: 28, minHeight: 44)
                        .background(rating == n ? Color.accentColor.opacity(0.2) : Color.clear, in: RoundedRectangle(cornerRadius: 6))
                }
            }
            if question.labels?.low != nil || question.labels?.high != nil {
                HStack { Text(question.labels?.low ?? ""); Spacer(); Text(question.labels?.high ?? "") }
                    .font(.caption).foregroundStyle(.secondary)
            }
        }
        // VoiceOver: one adjustable element; swipe to pick, then Next.
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(title)
        .accessibilityValue(rating.map { "\($0) of \(scale.max)" } ?? "none")
        .accessibilityAdjustableAction { direction in
            let current = rating ?? (scale.min - 1)
            rating = direction == .increment ? min(scale.max, current + 1) : max(scale.min, current - 1)
        }
    }
}
