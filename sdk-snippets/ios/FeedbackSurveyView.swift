// A SwiftUI survey: the score scale as one adjustable VoiceOver element (swipe up/down), a
// follow-up text field, and a close button that records the dismissal.
import SwiftUI

public struct FeedbackSurveyView: View {
    let client: Feedbackd
    let survey: Survey
    let onClose: () -> Void
    @State private var shownAt = Date()
    @State private var answerId: String?
    @State private var score: Int?
    @State private var comment = ""
    @FocusState private var commentFocused: Bool

    public init(client: Feedbackd, survey: Survey, onClose: @escaping () -> Void) {
        self.client = client; self.survey = survey; self.onClose = onClose
    }

    private var texts: Survey.Texts? {
        let tags = Locale.preferredLanguages.flatMap { [$0, String($0.prefix(2))] }
        return tags.lazy.compactMap { survey.presentation.locales?[$0] }.first
    }
    private var scale: Survey.Scale { survey.scale ?? Survey.Scale(min: 0, max: 10) }

    public var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            HStack(alignment: .top) {
                Text(answerId == nil ? (texts?.question ?? survey.question) : followUpQuestion)
                    .font(.headline).accessibilityAddTraits(.isHeader)
                Spacer()
                Button { Task { if answerId == nil { await client.dismiss(survey: survey.key) } }; onClose() } label: {
                    Image(systemName: "xmark")
                }.accessibilityLabel("Close")
            }
            if answerId == nil { scaleView } else { followUpView }
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
        let elapsed = Date().timeIntervalSince(shownAt)
        Task { answerId = await client.answer(survey: survey.key, score: n, timeToAnswer: elapsed) }
    }
}
