"""Compose the VADER parity corpus and score it with the Python reference.

Usage: vader_corpus.py LEXICON_FILE CORPUS_OUT EXPECTED_OUT

The corpus is built from fixed templates filled with words drawn from the VADER lexicon by a
seeded generator, so the same lexicon gives the same sentences on every run. The templates
aim at every rule of the reference (negation, "no", boosters and dampeners, "but", ALL CAPS,
"!" and "?", "least", "kind of", idioms, emoticons and emoji) rather than at natural prose:
parity is about the rules, and natural prose rarely meets most of them.
"""
import random
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SEED = 20261130
COUNT = 1200

SUBJECTS = ["The app", "This survey", "The new editor", "Support", "The checkout", "Your team",
            "The update", "Onboarding", "The dashboard", "Billing", "It", "The export"]
VERBS = ["is", "was", "feels", "seems", "looks", "has been"]
BOOSTERS = ["very", "really", "extremely", "so", "totally", "incredibly", "quite", "absolutely",
            "kind of", "sort of", "kinda", "slightly", "barely", "somewhat", "hardly", "just enough"]
NEGATIONS = ["not", "never", "isn't", "wasn't", "don't", "didn't", "cannot", "without",
             "hardly", "no", "nothing", "rarely", "ain't", "won't"]
FILLERS = ["really", "at all", "today", "for me", "again", "lately", "honestly", "overall"]
EMOTICONS = [":)", ":(", ":D", ";)", ":-(", "<3", ":/", ":P", "xD"]
EMOJI = ["😀", "😁", "😂", "😍", "😡", "😢", "👍", "👎", "💘", "🙄", "🎉", "😴"]
PUNCT = [".", "!", "!!", "!!!", "?", "??", "???", "?!", "", "!!!!!"]
IDIOMS = ["the bomb", "the shit", "bad ass", "yeah right", "kiss of death", "to die for",
          "beating heart", "cut the mustard", "under the weather"]
TEMPLATES = [
    "{s} {v} {a}{p}",
    "{s} {v} {b} {a}{p}",
    "{s} {v} {n} {a}{p}",
    "{s} {v} {n} {b} {a}{p}",
    "{s} {v} {a}, but {s2} {v} {a2}{p}",
    "{s} {v} {A}{p}",
    "{s} {v} {B} {a}{p}",
    "{s} {v} {a} and {a2} {e}",
    "{s} {v} {a} {j}",
    "{s} {v} the least {a} thing{p}",
    "{s} {v} at least {a}{p}",
    "{s} {v} no {a} {w}{p}",
    "{s} {v} {a} or {a2}, {f}{p}",
    "{S} {V} {A} {B} {A2}{p}",
    "{s} {v} never so {a}{p}",
    "{s} {v} {i}{p}",
    "without a doubt, {a}{p}",
    "{a}{p} {a2} {f} {e}",
    "{s} {v} {a} but not {a2}{p}",
    "no {w}, {s} {v} {b} {a}{p}",
]


def pick_words(lexicon_file):
    words = []
    with open(lexicon_file, encoding="utf-8") as f:
        for line in f:
            word = line.split("\t")[0].strip()
            if word.isalpha() and word.islower():
                words.append(word)
    return words


def main():
    lexicon_file, corpus_out, expected_out = sys.argv[1:4]
    rng = random.Random(SEED)
    words = pick_words(lexicon_file)
    plain = ["experience", "process", "screen", "feature", "flow", "price"]
    sentences = []
    seen = set()
    while len(sentences) < COUNT:
        a, a2 = rng.choice(words), rng.choice(words)
        fill = dict(
            s=rng.choice(SUBJECTS), s2=rng.choice(SUBJECTS).lower(), v=rng.choice(VERBS),
            a=a, a2=a2, A=a.upper(), A2=a2.upper(), b=rng.choice(BOOSTERS),
            B=rng.choice(BOOSTERS).upper(), n=rng.choice(NEGATIONS), p=rng.choice(PUNCT),
            e=rng.choice(EMOTICONS + EMOJI), j=rng.choice(EMOJI) + rng.choice(EMOJI),
            f=rng.choice(FILLERS), i=rng.choice(IDIOMS), w=rng.choice(plain + words),
        )
        fill["S"], fill["V"] = fill["s"].upper(), fill["v"].upper()
        sentence = rng.choice(TEMPLATES).format(**fill)
        if sentence not in seen:
            seen.add(sentence)
            sentences.append(sentence)
    analyzer = SentimentIntensityAnalyzer()
    with open(corpus_out, "w", encoding="utf-8") as corpus, \
            open(expected_out, "w", encoding="utf-8") as expected:
        expected.write("compound\tpos\tneu\tneg\n")
        for sentence in sentences:
            corpus.write(sentence + "\n")
            vs = analyzer.polarity_scores(sentence)
            expected.write(f"{vs['compound']}\t{vs['pos']}\t{vs['neu']}\t{vs['neg']}\n")


if __name__ == "__main__":
    main()
