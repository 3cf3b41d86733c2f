"""The risk detector: normalise, match rules, judge each match in its clause, ask the model.

Context is data in lexicon.yaml, logic here, and every context rule reads the *clause* of the
match (tokens between punctuation or line breaks), never the whole message:

- idioms ("mati lampu"), devices ("HP mau mati") and pests ("bunuh kutu") cancel a match;
- quoted speech: a quoted insult aimed at the writer is bullying (concern); a friend's quoted
  words about themselves ("dia bilang 'aku mau bunuh diri'") are a THIRD_PARTY crisis; a quote
  inside a song/film frame is not about the writer unless the writer relates to it;
- a bare mention inside a story, lesson, news or game clause is not about the writer;
- a negation right before a negatable rule makes it concern; a past, resolved episode is concern;
- laughter in the clause lowers a suicidal-ideation match one step (never below the rule's
  floor, and then the bot asks directly), unless the writer says they are serious anywhere in
  the message ("serius", "ga bercanda"); it never lowers self-harm, abuse, sexual, harm to
  others, danger, or steady rules (methods, plans, attempts);
- a friend as the subject of the clause makes SI/SH a THIRD_PARTY crisis.

The learned second opinion (bot.risk.model) may only raise the level: above its threshold a
non-crisis becomes crisis (``by_model``), in its unsure band the bot asks directly (``ask``).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.risk.model import ModelOpinion, RiskModel
from bot.risk.normalize import BOUNDARIES, Normalized, Normalizer, known_words
from bot.risk.patterns import Pattern
from bot.risk.rules import LEVELS, Rule, RuleSet, load_rules

# Two-word past markers ("tahun lalu") and recent ones ("last night"); single words are the
# lexicon classes `past` and `recent`.
PAST_PAIRS = frozenset({("tahun", "lalu"), ("taun", "lalu"), ("tahun", "kemarin"),
                        ("taun", "kemaren"), ("tahun", "kemaren"), ("taon", "kemaren"),
                        ("last", "year"), ("masa", "lalu"), ("back", "then"),
                        ("middle", "school"), ("taun", "wingi"), ("taun", "kamari"),
                        ("bulan", "lalu"), ("years", "ago"), ("year", "ago"), ("pas", "smp"),
                        ("pas", "sd"), ("pas", "kelas"), ("pas", "kecil"), ("waktu", "smp"),
                        ("waktu", "sd"), ("waktu", "kelas"), ("waktu", "kecil"), ("back", "in"),
                        ("in", "middle"), ("pas", "mts"), ("waktu", "mts")})
# Words that tell the present apart from a past episode, words that say it is still going on,
# and words that make an episode past and over by themselves.
PRESENT = frozenset({"sekarang", "skrg", "saiki", "ayeuna", "now", "nowadays", "kiwari",
                     "today", "skrng", "sakiki", "kini", "skarang", "skrang"})
AGAIN = frozenset({"lagi", "lg", "again", "maneh", "meneh", "maning", "deui"})
STILL = frozenset({"masih", "still", "kambuh", "relapse", "relapsed", "lagi2", "isih", "keneh",
                   "tetep", "tetap"})
FORMER = frozenset({"mantan", "former", "ex", "formerly", "recovered", "survivor"})
# "mantan" and "ex" are far more often a former partner ("diancam sama mantan", "my ex
# threatened me") than a former self-harmer: they make an episode past only right before the
# match ("mantan cutter") or before one of these roles.
FORMER_PARTNER_WORDS = frozenset({"mantan", "ex"})
FORMER_ROLES = frozenset({"cutter", "cutters", "pecandu", "pengguna", "pemakai", "addict", "user",
                          "penyintas", "survivor", "self", "sh", "selfharmer", "pasien",
                          "patient"})
# A time counted in minutes or hours before now is recent, not past: "20 minutes ago", "sejam
# yang lalu", "2 jam lalu".
RECENT_UNITS = frozenset({"menit", "minutes", "minute", "mins", "min", "jam", "hours", "hour",
                          "sejam", "hrs", "detik", "seconds"})
AGO = frozenset({"ago", "lalu", "kepungkur", "katukang", "tadi"})
RECENT_PAIRS = frozenset({("last", "night"), ("kemarin", "malam"), ("kemarin", "malem"),
                          ("kemaren", "malem"), ("this", "morning"), ("pagi", "ini"),
                          ("malam", "ini"), ("malem", "ini")})
RESOLVED = (("itu", "dulu"), ("that", "was"), ("tapi", "sejak"), ("tp", "sejak"),
            ("but", "since"), ("sekarang", "udah"), ("udah", "ga"), ("now", "i'm"),
            ("udah", "baikan"),
            ("sekarang", "ga"), ("udah", "lewat"), ("not", "anymore"), ("udah", "clean"),
            ("sekarang", "alhamdulillah"), ("udah", "sembuh"), ("sekarang", "baik"),
            ("udah", "berhenti"), ("udah", "stop"), ("udah", "lama"))
WEIGHT = {"none": 0.0, "concern": 0.4, "crisis": 1.0}
# "perpisahan kelas", "farewell party": a class's goodbye, not the writer's.
PARTING_GROUPS = frozenset({"kelas", "sekolah", "angkatan", "osis", "ekskul", "kakak", "party",
                            "guru", "wali", "smp", "sma", "sd", "smk", "pramuka", "paskibra"})
# An occasion explains a goodbye when it is its purpose or its person: "buat bukber", "yang mau
# pensiun", "i'm moving", "udah lulus" (not "pas ultah aku nanti", a timing).
OCCASION_LEAD = frozenset({"buat", "untuk", "for", "kanggo", "keur", "yang", "yg", "sing", "nu",
                           "mau", "lagi", "i'm", "im", "we're", "udah", "abis", "mo", "arep",
                           "are", "is", "am", "we", "sudah", "habis", "dah", "before",
                           "sebelum", "to", "going", "gonna"})
# "last day of school", "hari terakhir sekolah", "poe panungtungan di SMP": a term that ends,
# an occasion for goodbyes and thanks.
LAST_DAY = frozenset({("last", "day"), ("hari", "terakhir"), ("dino", "terakhir"),
                      ("poe", "terakhir"), ("poe", "panungtungan"), ("dina", "pungkasan"),
                      ("final", "day"), ("hari", "akhir")})
TERM_WORDS = frozenset({"sekolah", "school", "kelas", "class", "semester", "term", "sd", "smp",
                        "sma", "smk", "mts", "ma", "ujian", "exam", "exams", "magang",
                        "internship", "pkl", "les", "mpls", "mos", "ospek", "pondok", "camp",
                        "kemah", "kerja", "work", "sakola", "sinau", "kelulusan"})
# Words of the `person` class that name a place, not someone ("bawa pisau ke sekolah buat masak").
PLACES = frozenset({"sekolah", "kelas", "smk", "sma", "stm", "school", "sakola"})
# Method and dose rules a safe, health-purpose question may explain.
DOSE_RULES = frozenset({"SI.ingested", "SI.method", "SI.method_question", "SI.method_more",
                        "SI.method_more2"})
ARTICLES = frozenset({"the", "a", "an", "si", "sang", "para", "ender", "final", "last"})
CONTRAST = frozenset({"tapi", "tp", "but", "padahal", "walaupun", "meskipun", "walau", "tetep",
                      "namun", "though"})
# Javanese "sing tak pengeni" / "opo sing dak karepke" (what I want), "pengen tak pungkasi": after
# a relative word or a wish, "tak" / "dak" is the first-person prefix, not the Indonesian "not".
JV_FIRST_PERSON = frozenset(("tak", "dak"))
JV_RELATIVE = frozenset(("sing", "seng", "kang", "opo", "apa", "sek"))
CONDITIONAL = frozenset({"kalau", "kalo", "klo", "kl", "if", "nek", "mun", "lamun", "lek",
                         "unless", "asal", "kecuali"})
# A pronoun right after these is an object, not who acts ("ngasih ke aku", "bilang sama aku").
OBJECT_MARKERS = frozenset({"ke", "sama", "ama", "sm", "to", "with", "dengan", "dgn", "ka",
                            "karo", "marang", "buat", "for", "ngasih", "kasih", "told", "texted",
                            "asked", "ngajak", "nanya", "chat", "ngechat"})
# A negation right after these asks a question ("tau ga", "bisa ga", "pernah ga"), it negates
# nothing that follows.
QUESTION_TAG = frozenset({"tau", "tahu", "ngerti", "paham", "bisa", "boleh", "pernah", "ada",
                          "kan", "know", "iso", "tiasa", "ngarti"})
ABOUT_TO = frozenset({"mau", "hampir", "bakal", "udah", "almost", "about"})
STEADY_CATEGORIES = frozenset({"SH", "ABUSE", "SEXUAL", "HARM_OTHERS", "BULLY_DANGER"})
WINDOW = 3000  # characters screened at once; longer texts are screened in overlapping windows
OVERLAP = 400  # longer than any pattern can reach, so no phrase falls between two windows
MODEL_CATEGORY = "MODEL"
CRISIS_CATEGORIES = frozenset({"SI", "SH", "ABUSE", "SEXUAL", "BULLY_DANGER", "HARM_OTHERS",
                               "THIRD_PARTY"})
FRIEND_CATEGORIES = frozenset({"SI", "SH", "ABUSE", "SEXUAL", "BULLY_DANGER"})
# Hyperbole with a trivial trigger and laughter is lowered, but never below the rule's floor:
# SAFETY.md, "a first-person death wish never drops below concern" (a peer looks; nobody is
# alarmed).


@dataclass(frozen=True)
class Hit:
    rule: Rule
    start: int
    end: int
    level: str
    category: str
    notes: tuple[str, ...]
    span: str = ""
    ask: bool = False


@dataclass
class RiskResult:
    """The verdict and why: level, score, rules that fired, spans, what suppressed what.

    ``model_score`` is the model's crisis probability; ``by_model`` says the level is crisis only
    because of the model (then ``categories[0]`` is the model's crisis category or "MODEL");
    ``ask`` says the bot should ask directly about suicide or self-harm (never with crisis).
    """

    level: str
    score: float
    rules: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    spans: list[str] = field(default_factory=list)
    suppressions: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    normalized: str = ""
    model_score: float = 0.0
    by_model: bool = False
    ask: bool = False
    rule_level: str = "none"
    context_lowered: bool = False  # a rule matched but its clause said otherwise (negation ...)
    explained: bool = False  # a rule's `unless` class explained the match (an ordinary cause)
    cues: list[str] = field(default_factory=list)  # risk words in the text (lexicon `cues:`)
    alert_cue: bool = False  # a risk word or a rule hit: the model's guess may alert
    ask_cue: bool = False  # a looser cue: the model's unsure band may ask

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "score": round(self.score, 2), "rules": self.rules,
                "categories": self.categories, "spans": self.spans,
                "suppressions": self.suppressions, "model_score": round(self.model_score, 3),
                "by_model": self.by_model, "ask": self.ask, "rule_level": self.rule_level,
                "cues": self.cues}


def _lower(level: str, floor: str) -> str:
    lowered = LEVELS[max(0, LEVELS.index(level) - 1)]
    return lowered if LEVELS.index(lowered) >= LEVELS.index(floor) else floor


class _Context:
    """Facts about one message that context rules consult (built only when a rule matched)."""

    def __init__(self, norm: Normalized, classes: dict[str, frozenset[str]],
                 idioms: dict[str, list[tuple[str, ...]]]) -> None:
        self.tokens = tokens = norm.tokens
        self.quoted = norm.quoted
        self.classes = classes
        self.clause_of: list[int] = []
        self.clauses: list[tuple[int, int]] = []
        begin = 0
        for i, token in enumerate(tokens):
            self.clause_of.append(len(self.clauses))
            if token in BOUNDARIES:
                self.clauses.append((begin, i))
                begin = i + 1
        self.clauses.append((begin, len(tokens)))
        self.serious = self._serious()
        self.rule_category = ""  # the category of the rule being judged (set by _judge)
        self_ref = classes["self_ref"]
        self.self_ref = any(not q and t in self_ref for t, q in zip(tokens, norm.quoted,
                                                                     strict=True))
        self.idiom_at: set[int] = set()
        for i, token in enumerate(tokens):
            for idiom in idioms.get(token, ()):
                if tuple(tokens[i:i + len(idiom)]) == idiom:
                    self.idiom_at.update(range(i, i + len(idiom)))

    def _serious(self) -> bool:
        """ "serius", "sumpah", or a negated joke ("ga bercanda", "bukan canda", "not joking")."""
        serious, joke, neg = (self.classes[n] for n in ("serious", "joke_word", "neg"))
        for i, token in enumerate(self.tokens):
            if token in serious:
                return True
            if token in joke and any(t in neg for t in self.tokens[max(0, i - 2):i]):
                return True
        return False

    def clause(self, start: int, end: int) -> list[str]:
        """The tokens of every clause the span [start, end) touches."""
        first = self.clauses[self.clause_of[start]][0]
        last = self.clauses[self.clause_of[max(start, end - 1)]][1]
        return self.tokens[first:last]

    def around(self, start: int, end: int) -> list[str]:
        """The clause of the span and the clauses right before and after it."""
        first = self.clauses[max(0, self.clause_of[start] - 1)][0]
        last = self.clauses[min(len(self.clauses) - 1,
                                self.clause_of[max(start, end - 1)] + 1)][1]
        return self.tokens[first:last]

    def clause_before(self, start: int, width: int) -> list[str]:
        out = []
        for i in range(start - 1, max(-1, start - width - 1), -1):
            if self.tokens[i] in BOUNDARIES:
                break
            out.append(self.tokens[i])
        return out

    def clause_after(self, end: int, width: int) -> list[str]:
        out = []
        for i in range(end, min(len(self.tokens), end + width)):
            if self.tokens[i] in BOUNDARIES:
                break
            out.append(self.tokens[i])
        return out

    def laughing(self, start: int, end: int) -> bool:
        """Laughter in the clause of the span or in the clause right before or after it."""
        laughter = self.classes["laughter"]
        first = max(0, self.clause_of[start] - 1)
        last = min(len(self.clauses) - 1, self.clause_of[max(start, end - 1)] + 1)
        for index in range(first, last + 1):
            begin, stop = self.clauses[index]
            words = self.tokens[begin:stop]
            if any(t in laughter for t in words) and not self._negated_joke(words):
                return True
        return False

    def _negated_joke(self, words: list[str]) -> bool:
        joke, neg = self.classes["joke_word"], self.classes["neg"]
        return any(t in joke and any(w in neg for w in words[max(0, i - 2):i])
                   for i, t in enumerate(words))

    def in_class(self, words, name: str) -> bool:
        cls = self.classes[name]
        return any(w in cls for w in words)


class Detector:
    """Screens text; built once (rules compiled, anchors indexed, model loaded), then cheap.

    Args:
        rules: the rule set (the shipped rule files by default).
        model: the learned second opinion: "shipped" (default) loads the weights file inside the
            package and raises ModelError if it is missing or corrupt; a RiskModel; or None for
            rules alone (training and benchmarks only, never the bot).
    """

    def __init__(self, rules: RuleSet | None = None,
                 model: RiskModel | str | Path | None = "shipped") -> None:
        self.ruleset = rules or load_rules()
        self.normalizer = Normalizer(self.ruleset.vocabulary(), self.ruleset.slang,
                                     self.ruleset.morph_words(), self.ruleset.typo_words(),
                                     known_words(), self.ruleset.classes.get("want", ()),
                                     self.ruleset.glue_tails())
        if isinstance(model, (str, Path)):
            model = RiskModel.load(None if model == "shipped" else Path(model))
        self.model = model
        if model is not None:
            model.use_lexicon(self.ruleset.classes)
        self._idioms: dict[str, list[tuple[str, ...]]] = {}
        for idiom in self.ruleset.idioms:
            self._idioms.setdefault(idiom[0], []).append(idiom)
        cues = self.ruleset.cues or {}
        self._alert_words, self._alert_prefixes = cues.get("alert", (frozenset(), ()))
        self._ask_words, self._ask_prefixes = cues.get("ask", (frozenset(), ()))
        self._quiet_words: frozenset[str] = cues.get("quiet", (frozenset(), ()))[0]
        self._cue_memo: dict[str, int] = {}  # token -> 2 alert cue, 1 ask cue, 0 none
        self._index: dict[str, list[tuple[Rule, Pattern]]] = {}
        self._prefixed: list[tuple[tuple[str, ...], Rule, Pattern]] = []
        self._gates: dict[str, list[int]] = {}  # word -> patterns that need it (a fast skip)
        self._ungated: set[int] = set()
        # token -> the (rule, pattern, pattern key) that may start a match at it (a memo)
        self._candidate_memo: dict[str, tuple[tuple[Rule, Pattern, int], ...]] = {}
        for rule in self.ruleset.rules:
            for pattern in rule.patterns:
                gate = pattern.gate()
                if gate is None:
                    self._ungated.add(id(pattern))
                for word in gate or ():
                    self._gates.setdefault(word, []).append(id(pattern))
                words, prefixes = pattern.anchors()
                for word in words:
                    self._index.setdefault(word, []).append((rule, pattern))
                if prefixes:
                    self._prefixed.append((prefixes, rule, pattern))

    @staticmethod
    @functools.cache
    def default() -> Detector:
        """The detector of the shipped rules and model, built once per process (read-only)."""
        return Detector()

    def screen(self, text: str) -> RiskResult:
        """Rules and model: the verdict the bot acts on."""
        result, norms = self._screen_rules(text)
        if self.model is not None:
            self._second_opinion(result, self.model.opinion_many(norms))
        return result

    def screen_rules(self, text: str) -> RiskResult:
        """The rules alone (benchmarks and explanations; the bot always uses ``screen``)."""
        return self._screen_rules(text)[0]

    def normalize(self, text: str) -> list[Normalized]:
        """The normalised windows of a text (one for texts up to WINDOW characters)."""
        return [self.normalizer.run(part) for part in _windows(text)]

    def _screen_rules(self, text: str) -> tuple[RiskResult, list[Normalized]]:
        norms = self.normalize(text)
        hits: list[Hit] = []
        for norm in norms:
            hits += self._hits(norm)
        result = self._verdict(norms, hits)
        self._find_cues(result, norms)
        return result, norms

    def _cue_kind(self, token: str) -> int:
        kind = self._cue_memo.get(token)
        if kind is None:
            if token in self._alert_words or (
                    self._alert_prefixes and token.startswith(self._alert_prefixes)):
                kind = 2
            elif token in self._ask_words or (
                    self._ask_prefixes and token.startswith(self._ask_prefixes)):
                kind = 1
            else:
                kind = 0
            if len(self._cue_memo) < 100_000:
                self._cue_memo[token] = kind
        return kind

    def _find_cues(self, result: RiskResult, norms: list[Normalized]) -> None:
        """Risk words outside idioms ("mati lampu" is none), and whether the model may act."""
        found: dict[str, int] = {}
        kind_of = self._cue_kind
        idioms = self._idioms
        quiet = self._quiet_words
        for norm in norms:
            tokens = norm.tokens
            skip_to = 0
            loud = self._loud_positions(tokens) if quiet else None
            for i, token in enumerate(tokens):
                if i < skip_to:
                    continue
                if loud is not None and not loud[i]:
                    continue
                for idiom in idioms.get(token, ()):
                    if tuple(tokens[i:i + len(idiom)]) == idiom:
                        skip_to = i + len(idiom)
                        break
                if i < skip_to:
                    continue
                kind = kind_of(token)
                if kind:
                    found[token] = max(kind, found.get(token, 0))
        result.cues = [t for t, k in found.items() if k == 2]
        result.alert_cue = bool(result.cues) or result.rule_level != "none"
        result.ask_cue = result.alert_cue or bool(found)

    def _loud_positions(self, tokens: list[str]) -> list[bool]:
        """Per token: False inside a clause with an ordinary context of the lexicon's
        ``cues: quiet`` (a game, a condolence, medicine for an ailment, a school summons), where a
        death or means word is not the writer's own risk and no cue for the model alone."""
        loud = [True] * len(tokens)
        start = 0
        for end in [*(i for i, t in enumerate(tokens) if t in BOUNDARIES), len(tokens)]:
            if any(t in self._quiet_words for t in tokens[start:end]):
                loud[start:end] = [False] * (end - start)
            start = end + 1
        return loud

    def _candidates(self, token: str) -> tuple[tuple[Rule, Pattern, int], ...]:
        found = self._candidate_memo.get(token)
        if found is None:
            pairs = list(self._index.get(token, ()))
            pairs += [(r, p) for pre, r, p in self._prefixed if token.startswith(pre)]
            found = tuple((r, p, id(p)) for r, p in pairs)
            if len(self._candidate_memo) < 100_000:
                self._candidate_memo[token] = found
        return found

    def _hits(self, norm: Normalized) -> list[Hit]:
        tokens = norm.tokens
        matches: list[tuple[Rule, int, int]] = []
        seen: set[tuple[str, int]] = set()
        present = set(tokens)
        gates = self._gates
        open_ = set(self._ungated)
        for token in present:
            ids = gates.get(token)
            if ids:
                open_.update(ids)
        possible: dict[int, bool] = {}
        candidates_of = self._candidates
        for i, token in enumerate(tokens):
            for rule, pattern, key in candidates_of(token):
                if key not in open_:
                    continue
                ok = possible.get(key)
                if ok is None:
                    ok = possible[key] = pattern.possible(present)
                if not ok:
                    continue
                span = pattern.match_at(tokens, i)
                if span is not None and (rule.id, span[0]) not in seen:
                    seen.add((rule.id, span[0]))
                    matches.append((rule, *span))
        if not matches:
            return []
        context = _Context(norm, self.ruleset.classes, self._idioms)
        return [self._judge(r, s, e, context) for r, s, e in matches]

    def _judge(self, rule: Rule, start: int, end: int, ctx: _Context) -> Hit:
        span = ctx.tokens[start:end]
        text = " ".join(t for t in span if t not in BOUNDARIES)

        def hit(level: str, category: str, *notes: str, ask: bool = False) -> Hit:
            return Hit(rule, start, end, level, category, notes, text, ask)

        level, category, notes = rule.level, rule.category, []
        if rule.unless and any(ctx.in_class(ctx.tokens, c) for c in rule.unless.split("|")):
            return hit("none", category, f"a word of {rule.unless} explains it")
        idiom = ctx.idiom_at.intersection(range(start, end))
        if idiom and rule.level == "crisis" and (ctx.in_class((ctx.tokens[i] for i in idiom), "die")
                      or ctx.in_class((ctx.tokens[i] for i in idiom), "attack")):
            return hit("none", category, "idiom")
        before = ctx.clause_before(start, 4)
        if ctx.in_class(span, "die") and (ctx.in_class(before, "laugh_verb")
                                          or self._laughing_after(ctx, end)):
            return hit("none", category, "idiom: dying of laughter")
        if self._about_object(ctx, start, span, before):
            return hit("none", category, "about an object, not a person")
        if self._about_pest(ctx, start, end):
            return hit("none", category, "about a pest or a game, not a person")
        clause = ctx.clause(start, end)
        if ctx.quoted[start]:
            outcome = self._quoted(rule, ctx, start, end)
            if outcome is not None:
                level, category, note = outcome
                if level == "none":
                    return hit("none", category, note)
                notes.append(note)
        elif self._framed(rule, ctx, start, end, span + before):
            if rule.floor == "concern" and ctx.in_class(span + before, "want"):
                level = "concern"  # "kalah ranked, pgn bundir": still the writer's own wish
                notes.append("story, lesson, news or game clause, but a wish stays concern")
            else:
                return hit("none", category, "story, lesson, news or game clause")
        if rule.id in DOSE_RULES and self._safe_dose_question(ctx):
            return hit("none", category, "a dose question with a health purpose")
        if self._game_talk(rule, ctx, start, end, span + before):
            return hit("none", category, "game talk: a character, not the writer")
        if (rule.category == "SI" and not rule.steady and ctx.in_class(span, "die")
                and ctx.in_class(clause, "joy")):
            return hit("none", category, "hyperbole of joy, hunger or tiredness")
        relapse = rule.category == "SH" and ctx.in_class(ctx.tokens, "relapse") and not (
            ctx.in_class(ctx.tokens, "fear"))
        if rule.negatable and not relapse and self._negated(ctx, start):
            level = "concern"
            notes.append("negated")
        elif level == "crisis" and rule.category in ("SI", "SH") and self._denied(ctx, start):
            level = "concern"
            notes.append("the writer denies the intent")
        if level == "crisis" and rule.category == "ABUSE" and self._simile(ctx, start):
            return hit("none", category, "a simile, not a blow")
        if level == "crisis" and rule.category == "SI" and self._vanish_from_place(ctx, start,
                                                                                   end):
            level = "concern"
            notes.append("vanishing from an app, a group or school, not from the world")
        if level == "crisis" and rule.category == "SH" and ctx.in_class(span, "relapse") and (
                ctx.in_class(ctx.clause_before(start, 3), "fear")):
            level = "concern"  # "takut kambuh lagi": a fear of relapse, not a relapse
            notes.append("afraid of a relapse")
        ctx.rule_category = rule.category
        if level == "crisis" and self._past_resolved(ctx, start, end):
            level = "concern"
            notes.append("past and resolved")
        ask = rule.ask and level == "concern"
        steady = rule.steady or category in STEADY_CATEGORIES or category == "THIRD_PARTY"
        if level != "none" and not steady and ctx.laughing(start, end):
            if ctx.serious:
                notes.append("laughter, but the writer says they are serious")
            elif self._trivial_trigger(ctx, end):
                lowered = _lower(level, rule.floor)
                notes.append(f"joke: a trivial trigger and laughter: {level}->{lowered}")
                ask = False  # a joke by policy: the peer sees the concern, nobody is asked
                level = lowered
            else:
                notes.append("laughter without a trivial trigger does not lower")
        if level == "crisis" and category in FRIEND_CATEGORIES and self._friend_subject(
                ctx, start):
            category = "THIRD_PARTY"
        elif level == "concern" and (rule.cue or rule.ask) and rule.category in (
                "SI", "MOOD", "SH") and not notes and self._friend_subject(ctx, start):
            # a farewell sign, a burden or hopelessness told about a friend: the writer cannot
            # be asked for the friend; a human should check on the friend (labelling guide)
            level, category = "crisis", "THIRD_PARTY"
            notes.append("a friend's sign: a crisis to check on")
        if level != "none" and (rule.category == "HARM_OTHERS" or (
                rule.category == "SI" and ctx.in_class(span, "weapon"))) and self._benign_tool(
                ctx, start, end):
            return hit("none", category, "a tool for cooking, crafts or camping")
        if level != "none" and (rule.cue == "farewell" or rule.id.startswith("SI.farewell")
                                or rule.id == "SI.plan_goodbye") and self._occasion(ctx, start,
                                                                                    end):
            return hit("none", category, "a goodbye for an occasion (moving, a birthday, "
                                         "retiring), or a last for today")
        if level != "none" and rule.cue == "farewell" and self._term_ends(ctx):
            return hit("none", category, "thanks and goodbyes on the last day of a term")
        return hit(level, category, *notes, ask=ask)

    @staticmethod
    def _laughing_after(ctx: _Context, end: int) -> bool:
        """ "mati ketawa", "mati aku ketawa" (dying of laughter): the laugh right after the death
        word or after the writer; "kalau aku mati mereka ketawa" (they would laugh) is not."""
        after = ctx.clause_after(end, 2)
        laugh, self_ = ctx.classes["laugh_verb"], ctx.classes["self"]
        return bool(after) and (after[0] in laugh or (
            len(after) == 2 and after[0] in self_ and after[1] in laugh))

    @staticmethod
    def _term_ends(ctx: _Context) -> bool:
        """ "last day of school, thank you for everything, goodbye": a weak farewell sign on the
        last day of a school term, a course or a camp (never a strong one: a hidden letter)."""
        tokens = ctx.tokens
        return any(pair in LAST_DAY and any(w in TERM_WORDS for w in tokens[i + 2:i + 6])
                   for i, pair in enumerate(itertools.pairwise(tokens))) and not ctx.in_class(
            tokens, "die")

    @staticmethod
    def _trivial_trigger(ctx: _Context, end: int) -> bool:
        """A trivial trigger (malu, lupa PR, kalah ...) that can be the cause of the wish: not
        one that follows it after "tapi" ("pengen mati tapi masih ngerjain pr" is no joke)."""
        trivial = ctx.classes["trivial"]
        contrast = False
        for i, token in enumerate(ctx.tokens):
            if i >= end and token in CONTRAST:
                contrast = True
            if token in trivial and not (contrast and i >= end):
                return True
        return False

    @staticmethod
    def _negated(ctx: _Context, start: int) -> bool:
        """A negation right before the match, not one that negates a joke ("ga bercanda")."""
        neg, joke = ctx.classes["neg"], ctx.classes["joke_word"]
        for i in range(start - 1, max(-1, start - 3), -1):
            if ctx.tokens[i] in BOUNDARIES:
                return False
            if ctx.tokens[i] in JV_FIRST_PERSON and i > 0 and (
                    ctx.tokens[i - 1] in JV_RELATIVE or ctx.tokens[i - 1] in ctx.classes["want"]):
                # Javanese "sing tak pengeni" (what I want), "pengen tak pungkasi" (I want to end
                # it): "tak" is "I", not "not"
                return False
            if ctx.tokens[i] in neg and i > 0 and ctx.tokens[i - 1] in CONDITIONAL:
                return False  # "kalau ga nyilet aku ga bisa tidur": a condition, not a denial
            if ctx.tokens[i] in neg and i + 1 < len(ctx.tokens) and ctx.tokens[i + 1] in (
                    "papa", "apa", "apa2", "masalah", "pa2", "popo", "kenapa"):
                return False  # "ga papa kalo aku mati": it is all right, not a negation
            if ctx.tokens[i] in neg and not (i + 1 < start and ctx.tokens[i + 1] in joke):
                # "lu tau ga rasanya pengen mati": a question tag, not a negated wish
                return not (i > 0 and ctx.tokens[i - 1] in QUESTION_TAG)
        return False

    @staticmethod
    def _quoted(rule: Rule, ctx: _Context, start: int,
                end: int) -> tuple[str, str, str] | None:
        """What quoted words mean; None when the quote changes nothing."""
        first = start
        while first > 0 and ctx.quoted[first - 1]:
            first -= 1
        last = end
        while last < len(ctx.tokens) and ctx.quoted[last]:
            last += 1
        inside = ctx.tokens[first:last]
        quote_end = start
        while quote_end < len(ctx.tokens) and ctx.quoted[quote_end]:
            quote_end += 1
        if quote_end - first <= 2 and quote_end < end:
            return None  # a word or two in quotes inside the writer's sentence: a scare quote
        lead = ctx.clause_before(first, 8)
        if ctx.in_class(inside, "second"):
            if rule.category == "SEXUAL":
                return None  # "he said 'kirim foto yang itu'": a demand made of the writer
            if not (rule.category == "SI" and (rule.cue or rule.steady)):
                return "concern", "BULLY", "quoted insult aimed at the writer"
            # a farewell said to "you" is the speaker's own goodbye, not an insult
        if ctx.self_ref:
            return None  # "relate banget": the writer speaks through the quote
        speaker = ctx.in_class(lead, "friend") or (
            ctx.in_class(lead, "third") and ctx.in_class(lead, "speech"))
        if speaker and rule.category in ("SI", "SH") and (ctx.in_class(inside, "self")
                                                         or rule.steady
                                                         or ctx.in_class(lead, "want")):
            return rule.level, "THIRD_PARTY", "a friend's own words (or search), quoted"
        if ctx.in_class(lead + ctx.tokens[last:last + 6], "frame"):
            return "none", rule.category, "quoted from a song, film or story"
        if not ctx.in_class(lead, "self") and not ctx.in_class(inside, "self"):
            return "none", rule.category, "quoted or reported speech"
        return None

    @staticmethod
    def _framed(rule: Rule, ctx: _Context, start: int, end: int, near: list[str]) -> bool:
        """A bare mention inside a story, lesson, news or game frame, not about the writer.

        The frame may sit in the clause of the match (then even "orang yang mau bunuh diri" is
        the lesson's) or in the clause next to it (then only when nobody in the match wants it).
        The writer ("aku") or a friend in the clause keeps the match.
        """
        if ctx.self_ref:
            return False
        neighbours = ctx.tokens[max(0, start - 1):start] + ctx.tokens[end:end + 1]
        if rule.mention and ctx.in_class(neighbours, "topic"):
            return True  # "suicide prevention", "pencegahan bunuh diri": a subject of study
        clause = ctx.clause(start, end)
        if ctx.in_class(clause, "self") or ctx.in_class(clause, "friend"):
            return False
        if not (rule.mention or rule.level == "concern"):
            return False
        frame = ctx.classes["frame"]
        around = ctx.around(start, end)
        if rule.category == "SEXUAL" and (ctx.in_class(around, "online_person")
                                          or ctx.in_class(around, "third")):
            # someone met in a game: where grooming starts, not a story about a game
            frame = frame - ctx.classes["game"] - ctx.classes["platform"]
        if any(t in frame for t in clause):
            return True
        return any(t in frame for t in around) and not ctx.in_class(near, "want")

    @staticmethod
    def _game_talk(rule: Rule, ctx: _Context, start: int, end: int, near: list[str]) -> bool:
        """ "aku mati dikeroyok di ff", "killed me in one hit": dying or killing in a game."""
        if rule.category == "SEXUAL" or (rule.steady and rule.category != "SI"):
            return False
        span = ctx.tokens[start:end]
        if not (ctx.in_class(span, "die") or ctx.in_class(span, "attack")
                or ctx.in_class(span, "hit_passive") or ctx.in_class(span, "hit_active")):
            return False
        # The death word itself ("died", "dying" are game words too) is no game context.
        context = [t for t in ctx.around(start, end) if t not in span]
        return ctx.in_class(context, "game") and not ctx.in_class(near, "want")

    @staticmethod
    def _safe_dose_question(ctx: _Context) -> bool:
        """ "how many ibuprofen can i take for a headache", "paracetamol buat demam berapa
        biji": a question, a health purpose, and no lethal or 'all at once' word."""
        tokens = ctx.tokens
        question = ctx.in_class(tokens, "ask_how") or "boleh" in tokens or "?" in tokens
        purpose = ctx.in_class(tokens, "health_purpose") or ctx.in_class(tokens, "frequency")
        return question and purpose and not ctx.in_class(
            tokens, "lethal") and not any(t in ("semua", "sebotol", "sekaligus", "all", "whole",
                                                 "kabeh", "segenggam") for t in tokens)

    @staticmethod
    def _occasion(ctx: _Context, start: int, end: int) -> bool:
        """ "surat perpisahan buat wali kelas yang pensiun", "goodbye everyone, i'm moving",
        "ini chat terakhir aku malem ini": a farewell with an ordinary reason."""
        around = ctx.around(start, end)
        occasion = ctx.classes["occasion"]
        told = any(t in occasion and any(w in OCCASION_LEAD for w in around[max(0, i - 3):i])
                   for i, t in enumerate(around))
        if told or any(
                a in ("perpisahan", "farewell") and b in PARTING_GROUPS
                for a, b in itertools.pairwise(around)):
            return not ctx.in_class(ctx.tokens, "die")
        after = ctx.tokens[end:end + 4]
        if after[:1] and after[0] in ("dari", "from", "of", "ti", "seko", "soko") and not (
                after[1:2] and after[1] in ctx.classes["self"]):
            return True  # "pesan terakhir dari guru": someone else's (not "ti abdi": mine)
        if not ctx.in_class(ctx.tokens[start:end], "finality"):
            return False  # "goodbye to everyone tonight" is no "last chat for tonight"
        return any(a in ("malam", "malem", "hari", "today", "tonight") and b in ("ini", "", "now")
                   for a, b in itertools.pairwise([*after, ""]))

    @staticmethod
    def _benign_tool(ctx: _Context, start: int, end: int) -> bool:
        """ "bawa gunting buat prakarya": a tool with a harmless purpose and no one to attack."""
        clause = ctx.clause(start, end)
        weapon = ctx.classes["weapon"]
        purpose = [t for t in clause if t not in weapon]  # the tool is not its own purpose
        people = [t for t in clause if t not in PLACES]  # "ke sekolah" is where, not whom
        return ctx.in_class(purpose, "benign_purpose") and not ctx.in_class(
            clause, "attack") and not ctx.in_class(people, "person")

    @staticmethod
    def _friend_subject(ctx: _Context, start: int) -> bool:
        """A friend, sibling or classmate is who the words are about, not the writer: the
        nearest subject before the match, across the message's earlier clauses ("temen kosku
        ga keluar kamar 2 hari. terakhir dia bilang maaf udah ngerepotin"). A "my" after a
        friend word ("temen aku") or an "aku" after a preposition ("ke aku") is no subject;
        "dia" counts only when a friend was named before it."""
        cls = ctx.classes
        self_, friend, third = cls["self"], cls["friend"], cls["third"]
        tokens = ctx.tokens
        lo = max(0, start - 40)
        named_friend = any(t in friend for t in tokens[lo:start])
        for i in range(start, lo - 1, -1):  # nearest first (the match's own first word too)
            token = tokens[i]
            prev = tokens[i - 1] if i > 0 else ""
            if token in self_:
                if prev in friend or prev in cls["family"] or prev in OBJECT_MARKERS:
                    continue  # "temen aku", "ke aku": not the writer as subject
                return False
            if token in friend:
                return True
            if token in third and named_friend and token not in ("they", "mereka", "them"):
                return True
        return False

    @staticmethod
    def _about_object(ctx: _Context, start: int, span: list[str], before: list[str]) -> bool:
        """ "HP mau mati", "battery low, mau mati": a device about to die, not a person.

        Only "about to" words look past punctuation; "HP rusak, pengen mati" stays a risk.
        """
        if not ctx.in_class(span, "die"):
            return False
        if ctx.in_class(before + span, "self"):
            return False
        if ctx.in_class(before, "device"):
            return True
        wide = ctx.tokens[max(0, start - 5):start]
        return span[0] in ABOUT_TO and ctx.in_class(wide, "device") and not ctx.in_class(
            wide, "self")

    @staticmethod
    def _about_pest(ctx: _Context, start: int, end: int) -> bool:
        """ "cara bunuh kutu", "bunuh bos terakhir": a kill word whose object is not a person."""
        kill = ctx.classes["attack"] | ctx.classes["die"]
        pests = ctx.classes["pest"]
        for i in range(start, end):
            if ctx.tokens[i] in kill:
                after = [t for t in ctx.tokens[i + 1:i + 4] if t not in ARTICLES][:2]
                before = ctx.tokens[max(0, i - 3):i]
                if any(t in pests for t in after) or (
                        any(t in pests for t in before) and not ctx.in_class(before, "self")):
                    return True
        return False

    @staticmethod
    def _past_resolved(ctx: _Context, start: int, end: int) -> bool:
        """An episode told as past and over: "dulu pernah sh, sekarang udah 2 tahun clean",
        "biyen aku tau nyilet, saiki wis ora", "i used to self harm but i've been clean for a
        year", "mantan sh-er", "tapi itu dulu". Anything recent ("tadi malem", "last night") or
        still going ("masih", "kambuh") keeps it now.
        """
        tokens, cls = ctx.tokens, ctx.classes
        past, resolved, neg = cls["past"], cls["resolved_word"], cls["neg"]
        n = len(tokens)
        near = ctx.around(start, end)  # "tadi nemu suratnya" two clauses on is not a relapse
        if any(t in cls["recent"] for t in near) or any(
                (a, b) in RECENT_PAIRS for a, b in itertools.pairwise(near)):
            return False
        if any(t in RECENT_UNITS and any(w in AGO for w in near[i + 1:i + 4])
               for i, t in enumerate(near)):
            return False  # "20 minutes ago", "sejam yang lalu": it has just happened
        after_clause = []
        for t in tokens[end:end + 3]:
            if t in BOUNDARIES:
                break
            after_clause.append(t)
        if any(t in STILL for t in after_clause):
            return False  # "masih", "kambuh": now, not then
        if any(t in STILL for t in ctx.clause_before(start, 8)) and not any(
                t in past for t in after_clause):
            return False  # "aku masih ga bisa stop nyakitin diri": still going on
        for i, t in enumerate(tokens):
            if t in cls["relapse"] and not ctx.in_class(tokens, "fear") and not (
                    any(w in past or w in ("last", "lalu", "tahun") for w in tokens[i + 1:i + 5])):
                return False  # a relapse told anywhere (not "relapsed once last year"): now
        if ctx.rule_category == "SH" and any(t in AGAIN for t in after_clause):
            return False  # "nyilet lagi", "did it again": the act repeated
        if Detector._clean_for(ctx):
            return True
        if any(t in ("terakhir", "last") for t in tokens[max(0, start - 4):start]) and any(
                t in ("ago", "lalu", "kemarin", "kemaren") or (a, t) in PAST_PAIRS
                for a, t in itertools.pairwise(tokens[end - 1:end + 10])):
            return True  # "terakhir sh itu 2 tahun lalu", "the last time i cut was years ago"
        window = tokens[max(0, start - 14):start] + after_clause
        positions = [*range(max(0, start - 14), start), *range(end, end + len(after_clause))]
        if any(Detector._former(tokens, i, start) for i in positions):
            return True  # "mantan sh-er", "former self-harmer": past and over in one word
        is_past = any(t in past for t in window) or any(
            (a, b) in PAST_PAIRS for a, b in itertools.pairwise(window))
        if not is_past:
            return False
        for i in range(end, n):  # the resolution is told after the episode
            t = tokens[i]
            if t in resolved and not any(w in neg for w in tokens[max(0, i - 2):i]):
                return True
            if i + 1 < n and (t, tokens[i + 1]) in RESOLVED:
                return True
            if i >= end and t in PRESENT and Detector._settled(ctx, i):
                return True  # "dulu ..., sekarang ...": the present told apart from the past
        return False

    @staticmethod
    def _former(tokens: list[str], i: int, start: int) -> bool:
        """tokens[i] makes the episode former: "former", "recovered" always; "mantan" or "ex"
        only as a role ("mantan cutter", "ex self harmer"), not as a former partner."""
        t = tokens[i]
        if t not in FORMER:
            return False
        if t not in FORMER_PARTNER_WORDS:
            return True
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        return i + 1 == start or nxt in FORMER_ROLES

    @staticmethod
    def _settled(ctx: _Context, i: int) -> bool:
        """The clause from a present marker on says nothing is still going on: no "masih", and
        no thought, wish, death or cutting word that is not negated ("sekarang aku kepikiran
        lagi" is now; "sekarang udah ga kepikiran" is over)."""
        cls = ctx.classes
        live = cls["intent"] | cls["die"] | cls["cut"] | cls["relapse"]
        clause: list[str] = []
        for t in ctx.tokens[i:i + 14]:
            if t in BOUNDARIES:
                break
            clause.append(t)
        for k, t in enumerate(clause):
            if t in STILL or t in cls["recent"]:
                return False
            if t in AGAIN and ctx.in_class(clause[:k], "want"):
                return False  # "sekarang rasanya pengen lagi": the wish is back
            if t in live and not any(w in cls["neg"] for w in clause[max(0, k - 3):k]):
                return False
        return True

    @staticmethod
    def _clean_for(ctx: _Context) -> bool:
        """A time free of it: "udah 2 tahun clean", "14 bulan bersih", "18 months clean",
        "been clean for a year", "1 tahun sejak terakhir"."""
        tokens, cls = ctx.tokens, ctx.classes
        duration, clean = cls["duration"], cls["clean_word"]
        for i, t in enumerate(tokens):
            if t in duration and any(w in clean for w in tokens[i + 1:i + 4]):
                return True
            if t in clean and any(w in duration for w in tokens[i + 1:i + 4]):
                return True  # "udah bersih 8 bulan"
            if t == "been" and i + 2 < len(tokens) and tokens[i + 2] in duration and (
                    tokens[i + 1].isdigit() or tokens[i + 1] in ("a", "two", "three", "many")):
                return True  # "it's been 3 years"
            if t in clean and i + 1 < len(tokens) and tokens[i + 1] in ("for", "selama") and any(
                    w in duration or w.isdigit() for w in tokens[i + 2:i + 5]):
                return True
        return False

    @staticmethod
    def _denied(ctx: _Context, start: int) -> bool:
        """ "ga ada niat nyakitin diri", "no thoughts of hurting myself", "ga pernah sampe mikir
        bunuh diri", "dia ga pernah ngomong soal nyakitin diri": the writer denies the intent.
        "ga bisa berhenti mikirin bunuh diri" is no denial (a word outside the chain)."""
        tokens, cls = ctx.tokens, ctx.classes
        intent, chain, filler = cls["intent"], cls["denial_chain"], cls["denial_filler"]
        neg = cls["neg"]
        k = start if tokens[start] in intent else None
        if k is None:
            for i in range(start - 1, max(-1, start - 4), -1):
                if tokens[i] in BOUNDARIES:
                    return False
                if tokens[i] in intent:
                    k = i
                    break
                if tokens[i] not in filler:
                    return False
        if k is None:
            return False
        for i in range(k - 1, max(-1, k - 5), -1):
            token = tokens[i]
            if token in neg:
                return True
            if token not in chain and token not in intent:
                return False
        return False

    @staticmethod
    def _simile(ctx: _Context, start: int) -> bool:
        """ "rasanya kayak disiksa": a comparison right before the blow, not a blow."""
        return any(t in ctx.classes["simile"] for t in ctx.clause_before(start, 2))

    @staticmethod
    def _vanish_from_place(ctx: _Context, start: int, end: int) -> bool:
        """ "pengen ngilang dari sosmed dulu": vanishing from an app, a group, school."""
        span = ctx.tokens[start:end]
        if not ctx.in_class(span, "vanish"):
            return False
        after = ctx.tokens[end:end + 4]
        if "dari" not in after and "from" not in after:
            return False
        return ctx.in_class(after, "vanish_place") and not ctx.in_class(after, "everything")

    @staticmethod
    def _accumulate(hits: list[Hit]) -> list[Hit]:
        """Two different weak signs of one kind (two farewell cues, two grooming steps): crisis."""
        by_cue: dict[str, set[str]] = {}
        for h in hits:
            if h.rule.cue and h.level == "concern":
                by_cue.setdefault(h.rule.cue, set()).add(h.rule.id)
        strong = {cue for cue, ids in by_cue.items() if len(ids) >= 2}
        if not strong:
            return hits
        return [Hit(h.rule, h.start, h.end, "crisis",
                    h.category if h.category in CRISIS_CATEGORIES else "SI",
                    (*h.notes, f"with another {h.rule.cue} sign: crisis"), h.span)
                if h.rule.cue in strong and h.level == "concern" else h for h in hits]

    @classmethod
    def _verdict(cls, norms: list[Normalized], hits: list[Hit]) -> RiskResult:
        hits = cls._accumulate(hits)
        level = max((h.level for h in hits), key=LEVELS.index, default="none")
        live = [h for h in hits if h.level != "none"]
        top = [h for h in live if h.level == level]
        categories: list[str] = []
        for h in sorted(top, key=lambda h: (h.category == "THIRD_PARTY", h.start)):
            if h.category not in categories:
                categories.append(h.category)
        steps: list[str] = []
        for norm in norms:
            steps += [s for s in norm.steps if s not in steps]
        return RiskResult(
            level=level,
            score=sum(WEIGHT[h.level] for h in live),
            rules=sorted({h.rule.id for h in live}),
            categories=categories,
            spans=list(dict.fromkeys(h.span for h in live)),
            suppressions=list(dict.fromkeys(
                f"{h.rule.id} [{h.span}]: " + ", ".join(h.notes) for h in hits if h.notes)),
            steps=steps,
            normalized=" ".join(t for norm in norms for t in norm.tokens),
            ask=level == "concern" and any(h.ask for h in live),
            rule_level=level,
            context_lowered=any(h.notes and h.level != h.rule.level for h in hits),
            explained=any(h.level == "none" and h.notes and h.notes[0].startswith("a word of ")
                          for h in hits),
        )

    def _second_opinion(self, result: RiskResult, opinion: ModelOpinion) -> None:
        """The model may only raise: crisis above its threshold, the direct question below.

        It alerts alone only on a text with a risk cue (a word of death, harm, the body, sex,
        weapons, drugs, heights, farewells, abuse, threats ... or a rule hit), at least
        ``min_words`` long and not lowered by a rule's own context; otherwise it asks directly,
        and only when the text has at least a looser cue. Ordinary chat ("dia juga suka
        ngomongin aku di belakang", "aku masih nunggu ya") is never alerted or asked on the
        model's word alone.
        """
        model = self.model
        assert model is not None
        result.model_score = p = opinion.crisis
        if result.level == "crisis":
            result.ask = False
            return
        words = sum(1 for t in result.normalized.split() if t not in BOUNDARIES)
        may_ask = result.ask_cue or result.alert_cue
        if result.explained and result.rule_level == "none":
            result.suppressions.append(f"model: crisis {p:.2f}, but the text gives an ordinary "
                                       "cause: not alerted or asked")
            return
        if p >= model.threshold:
            if not may_ask:
                result.suppressions.append(
                    f"model: crisis {p:.2f}, but no risk word in the text: not alerted")
            elif not result.alert_cue:
                result.ask = True
                result.suppressions.append(
                    f"model: crisis {p:.2f}, but no risk word of the alert kinds: ask directly")
            elif words < model.min_words:
                result.ask = True
                result.suppressions.append(
                    f"model: crisis {p:.2f}, but only {words} words: ask directly")
            elif result.context_lowered:
                result.ask = True  # the clause's own context (negation, a quote ...) said less
                result.suppressions.append(
                    f"model: crisis {p:.2f}, but a rule's context said less: ask directly")
            else:
                result.level = "crisis"
                result.by_model = True
                result.ask = False
                result.categories = [opinion.category or MODEL_CATEGORY]
                result.suppressions.append(
                    f"model: crisis {p:.2f} >= threshold {model.threshold:.2f}")
                return
        elif p >= model.ask_threshold:
            if may_ask:
                result.ask = True
                result.suppressions.append(
                    f"model: unsure ({p:.2f} in [{model.ask_threshold:.2f}, "
                    f"{model.threshold:.2f})): ask directly")
            else:
                result.suppressions.append(
                    f"model: unsure ({p:.2f}), but no risk word in the text: not asked")
        if result.level == "none" and opinion.concern >= model.concern_threshold:
            result.level = "concern"
            result.categories = ["MODEL"]
            result.suppressions.append(f"model: concern {opinion.concern:.2f}")


def _windows(text: str) -> list[str]:
    """Overlapping windows of at most WINDOW characters, cut at whitespace where possible."""
    if len(text) <= WINDOW:
        return [text]
    parts, start = [], 0
    while start < len(text):
        end = min(len(text), start + WINDOW)
        if end < len(text):
            cut = text.rfind(" ", start + WINDOW - OVERLAP // 2, end)
            end = cut if cut > start else end
        parts.append(text[start:end])
        if end >= len(text):
            break
        back = text.rfind(" ", end - OVERLAP, end - OVERLAP // 2)
        start = back + 1 if back > start else end - OVERLAP
    return parts
