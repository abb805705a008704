import pytest

from tilqa.answering.asked import (
    asks_document_date,
    compared_sides,
    definition_term,
    excluded_term,
    expansion_term,
    expected_type,
    is_why_or_how,
    is_yes_no,
    question_names,
)
from tilqa.answering.holds import defines, expands, has_type, sets_aside


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How much did they pay for the rights?", "money"),
        ("How much does a treatment cost?", "money"),
        ("What was Iovance's revenue in 2024?", "money"),
        ("How does Proleukin reduce the cost of goods?", None),
        ("How many employees are there?", "number"),
        ("How long does manufacturing take?", "duration"),
        ("How many weeks does manufacturing take?", "duration"),
        ("In what year was it founded?", "year"),
        ("When was the trial started?", "date"),
        ("How much better are the results?", None),
        ("how much progress has been made in lung cancer", None),
        ("how much revenue did they make last year", "money"),
        ("what does a course of treatment cost", "money"),
        ("What was the objective response rate in the trial?", "percent"),
        ("whats the exact response rate for lifileucel", "percent"),
        ("What’s the company's revenue?", "money"),
        ("does adding pembrolizumab improve response rates?", None),
        ("what dose of IL-2 do patients get", "dose"),
        ("Who is the CEO of Iovance?", "person"),
        ("who licensed the gene editing tech to them", None),
        ("where is the company headquartered", "place"),
        ("what do they need to prove to get insurers to pay", None),
        ("Which IL-2 product did Iovance acquire?", None),
    ],
)
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("The deal was worth $210 million.", "money", True),
        ("The deal secured the supply chain.", "money", False),
        ("The study enrolled 66 patients.", "number", True),
        ("It has multiple ongoing Phase 2 studies.", "number", True),
        ("The pivotal Phase 2 C-144-01 trial evaluated PD-1 blockade.", "number", False),
        ("It was renamed in 2017.", "year", True),
        ("Production spans 5–7 weeks from resection.", "duration", True),
        ("It takes about three months.", "duration", True),
        ("Production was shortened considerably.", "duration", False),
        ("It was renamed recently.", "year", False),
        ("The response rate was 31.4%.", "percent", True),
        ("Response rates increased.", "percent", False),
        ("Patients receive up to six doses of IL-2.", "dose", True),
        ("Dr. Smith leads the company.", "person", True),
        ("The assay takes 10 ms to read.", "person", False),
        ("The company is led by its founder.", "person", True),
        ("It treats head and neck cancers.", "person", False),
        ("The company is headquartered in San Carlos.", "place", True),
        ("It expands into Europe.", "place", False),
        ("It files in Europe and Canada.", "place", True),
        ("Anything at all.", None, True),
    ],
)
def test_has_type(text: str, kind: str | None, expected: bool) -> None:
    assert has_type(text, kind) is expected


@pytest.mark.parametrize(
    "question, term",
    [
        ("What is lifileucel?", "lifileucel"),
        ("what's TIL therapy", "TIL therapy"),
        ("What are TILs", "TILs"),
        ("who is Clinigen?", "Clinigen"),
        ("What does TALEN stand for?", "TALEN"),
        ("What is Proleukin used for?", "Proleukin"),
        ("What is the C-145-04 trial?", "C-145-04 trial"),
        # Relations and clauses name no term to define.
        ("What is the point of the phase III study?", None),
        ("what's the difference between TIL therapy and CAR-T cell therapy", None),
        ("what is iovance's lead product candidate", None),
        ("what was iovance called before", None),
        ("what is proleukin exactly", "proleukin"),  # a hedge is not part of the term
        ("What does the abbreviation TIL stand for?", "TIL"),  # nor what kind of word it is
        ("what does the term 'adoptive cell therapy' mean?", "adoptive cell therapy"),
        ("what's TALEN, really?", "TALEN"),
        ("what is the TILVANCE-301 study comparing", None),
        ("Who is the CEO of Iovance?", None),
        ("Which IL-2 product did Iovance acquire?", None),
    ],
)
def test_definition_term(question: str, term: str | None) -> None:
    assert definition_term(question) == term


@pytest.mark.parametrize(
    "text, term, expected",
    [
        ("TIL therapy involves the isolation of immune cells from the tumor.", "TIL therapy", True),
        ("The company’s lead product candidate, lifileucel, is designed for melanoma.", "lifileucel", True),
        ("It acquired the rights to Proleukin® (aldesleukin) from Clinigen.", "Proleukin", True),
        ("Tumor infiltrating lymphocyte (TIL) therapy is its focus.", "TIL", True),
        ("It combines TILs with pembrolizumab—a PD‑1 inhibitor.", "pembrolizumab", True),
        ("By leveraging techniques such as TALEN® gene editing, it edits TILs.", "TALEN", True),
        ("Lifileucel is a one-time cell therapy.", "lifileucel", True),
        ("Lifileucel, which is a one-time cell therapy, is in trials.", "lifileucel", True),
        # A plural term is defined by its singular's gloss, and the reverse.
        ("It develops tumor infiltrating lymphocyte (TIL) therapy.", "TILs", True),
        ("Tumor infiltrating lymphocytes (TILs) are immune cells.", "TIL", True),
        # Mentions that say nothing of what the term is.
        ("The integration of Proleukin® is pivotal for reducing costs.", "Proleukin", False),
        ("Several studies are focused on lifileucel in solid tumors.", "lifileucel", False),
        ("The manufacturing process for TILs is inherently complex.", "TILs", False),
        # A relative clause about the term, not a copula saying what it is.
        ("It improves the fitness of TILs, which are believed to persist longer.", "TILs", False),
    ],
)
def test_defines(text: str, term: str, expected: bool) -> None:
    assert defines(text, term) is expected


# -- Dates, measures, places and organisations (issue 21) ----------------------------------------


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When was the trial started?", "date"),
        ("When did the FDA grant accelerated approval?", "date"),
        ("On what date was the report written?", "date"),
        ("which month will the data be released", "date"),
        ("by when should the filing be complete?", "date"),
        ("what year was it founded", "year"),
        ("how does iovance lower the chance of contamination when making TILs", None),
        ("median overall survival for lifileucel patients in advanced melanoma", "measure"),
        ("What objective response rate did lifileucel achieve in the trial?", "measure"),
        ("what response rate was seen in the cervical cancer trial?", "measure"),
        ("Which had the higher response rate, the cervical trial or the head and neck trial?", "measure"),
        ("How does lifileucel's response rate compare with ipilimumab?", "compared measure"),
        ("how large is the tumor sample needed", "measure"),
        ("what was the progression-free survival?", "measure"),
        # Yes/no and why/how questions name a rate without asking for its figure.
        ("Does combining TIL with pembrolizumab improve response rates?", None),
        ("Why is the response rate higher with pembrolizumab?", None),
        ("In which city is the manufacturing facility located?", "named place"),
        ("which country is Iovance exploring submissions in", "named place"),
        ("The cities of Los Angeles and San Diego are a part of which state?", "named place"),
        ("What does critically tapered mean?", None),
        ("What is the magnitude of force divided by when external force is added?", None),
        ("besides its centralized facility, where else does it have manufacturing sites", "place"),
        ("where does iovance carry out its central research activities", None),
        ("which company licensed the TALEN technology to Iovance?", "organisation"),
        ("Which US regulatory agency is mentioned as evaluating TIL therapies?", "organisation"),
        ("which universities / cancer centres do they work with", "organisation"),
        ("What kind of company is Iovance Biotherapeutics?", None),
        ("why buy the rights - what does the company get out of it", None),
        ("What evidence do regulators require before approval?", None),
        # Endpoints by their abbreviations; a principal investigator is a person in a role.
        ("what ORR was reported for TIL plus pembrolizumab in cervical cancer?", "measure"),
        ("median PFS in the melanoma cohort", "measure"),
        ("what was the ORR?", "measure"),
        # Asking what a statistic is asks for its definition, not its figure.
        ("What is ORR?", None),
        ("what does PFS stand for", None),
        ("what's overall survival", None),
        ("who is the principal investigator of the c-144-01 trial", "person"),
        # A trial's identifier.
        ("What is the trial identifier of the registrational NSCLC study?", "identifier"),
        ("trial ID for the head and neck TIL study", "identifier"),
        ("what's the NCT number of TILVANCE-301", "identifier"),
        ("What is the development code for the PD-1-knockout TIL product?", "identifier"),
        # An identifier as the subject, or as the term a definition asks about, is not asked for.
        ("In what districts are the registration numbers for cars all of the same type?", None),
        ("What is a connection identifier?", None),
        # A yes/no question holding a date or a figure asks for one; a code or a phase is no figure.
        ("Was lifileucel approved by the FDA in February 2024?", "date"),
        ("What is the date of this report?", "date"),
        # What an abbreviation stands for is no figure, however the abbreviation is asked about.
        ("What does ORR mean in the trial results?", None),
        ("Does the TILVANCE-301 trial enrol more than 500 patients?", "measure"),
        ("Did more than 40 sites join the trial?", "number"),
        ("Is the C-144-01 trial a Phase 3 study?", None),
        ("does iovance work on PD-1 knockouts", None),
    ],
)
def test_expected_type_of_dates_measures_places_and_organisations(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("The report is dated 20 March 2025.", "date", True),
        ("Results are expected in the second half of the year.", "date", True),
        ("Top-line data are due in Q3.", "date", True),
        ("The filing is planned for next year.", "date", True),
        ("Cells are infused within 22 days of resection.", "date", True),
        ("Production spans 5–7 weeks from tumor resection.", "date", True),
        ("The company may file soon.", "date", False),
        ("Iovance submitted a rolling Biologics License Application for lifileucel.", "date", False),
        ("Median overall survival was 13.9 months.", "measure", True),
        ("The objective response rate was 31.4%.", "measure", True),
        ("Patients received 2 mg/kg every three weeks.", "measure", True),
        ("Responses were seen in 24 of 66 patients.", "measure", True),
        ("The trial reported encouraging objective response rates (ORRs).", "measure", False),
        ("The pivotal Phase 2 C-144-01 trial showed durable responses.", "measure", False),
        ("The company is headquartered in San Carlos.", "place", True),
        ("It has a centralized high-throughput manufacturing facility.", "place", False),
        ("It works with Ohio State University.", "organisation", True),
        ("It acquired the rights from Clinigen Limited.", "organisation", True),
        ("It works with the University of Pittsburgh.", "organisation", True),
        ("A major research hospital runs the trial.", "organisation", False),
        ("The head and neck trial is C-145-03.", "identifier", True),
        ("TILVANCE-301 compares the combination with pembrolizumab alone.", "identifier", True),
        ("It is registered as NCT05727904.", "identifier", True),
        ("It treats post-anti-PD-1 NSCLC, with IL-2 support, in COVID-19 times.", "identifier", False),
        ("Dr. Amod Sarnaik, the trial's principal investigator, presented the data.", "person", True),
        # Two measures compared: the figures answer, and so does the way they differ.
        ("Adding pembrolizumab leads to increased overall response rates.", "compared measure", True),
        ("Responses were seen in 24 of 66 patients.", "compared measure", True),
        ("Adding pembrolizumab is under study.", "compared measure", False),
    ],
)
def test_has_type_of_dates_measures_places_and_organisations(text: str, kind: str, expected: bool) -> None:
    assert has_type(text, kind) is expected


def test_a_date_asked_of_a_founding_is_not_that_of_a_renaming() -> None:
    question = "In what year was Lion Biotechnologies founded?"
    assert has_type("The company was established in 2007 as Genesis Biopharma.", "year", question)
    assert has_type("Founded in 2007 and renamed in 2017, the company makes cells.", "year", question)
    assert has_type("The community has its origins in the 1951 agreement.", "year", question)
    assert not has_type("Originally known as Lion Biotechnologies, it took its current name in 2017.", "year", question)
    assert not has_type("The company was renamed Iovance in 2017.", "year", "When was Iovance established?")
    assert has_type("It took its current name in 2017.", "year", "When did Lion Biotechnologies take its current name?")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What date is this report on Iovance's R&D dated?", True),
        ("On what date was this Iovance R&D report written?", True),
        ("whats the date on this document", True),
        ("In what year was the report published?", True),
        ("When did the FDA approve lifileucel?", False),  # a date, not the document's
        ("What is this report about?", False),  # the document, not its date
    ],
)
def test_asks_document_date(question: str, expected: bool) -> None:
    assert asks_document_date(question) is expected


def test_a_named_place_is_a_place_or_a_name_the_question_does_not_hold() -> None:
    question = "Which country used to rule California?"
    assert has_type("California was ruled by Spain until 1821.", "named place", question)
    assert has_type("It was ruled from Madrid.", "named place", question)
    assert not has_type("California was once ruled from abroad.", "named place", question)
    # A question asking where something is based is held to the stricter check.
    assert not has_type("The company Clinigen makes Proleukin.", "place", "where is the plant located")


def test_an_organisation_is_a_name_the_question_does_not_hold() -> None:
    question = "which company licensed the TALEN gene editing technology to Iovance?"
    assert has_type("Its TALEN technology was licensed from Cellectis.", "organisation", question)
    # Iovance and TALEN are named by the question itself: the sentence names no other organisation.
    assert not has_type("Iovance uses TALEN gene editing on its cells.", "organisation", question)
    assert not has_type("In March, Iovance began using TALEN.", "organisation", question)


# -- Kinds of question with their own rule: yes/no and exclusion ---------------------------------


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Does Iovance own the rights to Proleukin?", True),
        ("is there a phase 3 trial of lifileucel", True),
        ("Has lifileucel been approved by the EMA?", True),
        ("Which company licensed TALEN?", False),
        ("What is TIL therapy?", False),
    ],
)
def test_is_yes_no(question: str, expected: bool) -> None:
    assert is_yes_no(question) is expected


def test_question_names_are_capitalised_words_after_the_first_of_three_letters_or_more() -> None:
    assert question_names("Does Iovance have a manufacturing facility in Philadelphia?") == ["Iovance", "Philadelphia"]
    assert question_names("Has lifileucel been approved by the EMA in Europe?") == ["EMA", "Europe"]
    assert question_names("Is Iovance developing CAR-T cell therapies too?") == ["Iovance", "CAR-T"]
    assert question_names("is the phase 3 trial US only?") == []  # "US" reads as "us"


@pytest.mark.parametrize(
    "question, aside",
    [
        ("other than melanoma, which cancers is Iovance testing TIL therapy in?", "melanoma"),
        ("Besides Moffitt, which cancer centers does Iovance collaborate with?", "Moffitt"),
        ("besides the FDA which regulator has to evaluate TIL therapies", "the FDA"),
        ("Apart from TALEN, does Iovance use CRISPR?", "TALEN"),
        ("Other than melanoma, in which tumors did pembrolizumab raise response rates?", "melanoma"),
        ("besides cervical, head and neck and lung cancer, what other tumor types", "cervical, head and neck and lung cancer"),
        ("Which cancers other than melanoma is Iovance testing?", "melanoma"),
        ("Which cancers is Iovance testing?", None),
        ("What lies beyond the horizon?", None),
    ],
)
def test_excluded_term(question: str, aside: str | None) -> None:
    assert excluded_term(question) == aside


@pytest.mark.parametrize(
    "text, aside, expected",
    [
        # Names X and nothing beside it: an answer about X.
        ("A notable initiative is the acquisition of rights to Proleukin® (aldesleukin) from Clinigen Limited.", "Proleukin", True),
        ("By leveraging techniques such as TALEN® gene editing, the company aims to inactivate PD-1.", "TALEN", True),
        ("The company is refining its protocols to shorten the production timeline, which spans 5–7 weeks.", "shortening the timeline", True),
        # X as one of several, or set aside by the sentence itself.
        ("Beyond melanoma, Iovance is expanding its testing to cervical cancer.", "melanoma", False),
        ("Patients have progressed on prior anti-PD-1 treatments or targeted therapies.", "anti-PD-1 therapy", False),
        ("It works with H. Lee Moffitt Cancer Center, MD Anderson Cancer Center, and Ohio State University.", "Moffitt", False),
        ("High manufacturing costs, logistical complexity, and the need for specialized centers slow uptake.", "high manufacturing costs", False),
        ("Steam comes from burning fuel in a closed space (called variously combustion chamber, firebox).", "firebox", False),
        # Does not name X (all of its content words) at all.
        ("New methods focus on enhancing the metabolic health of TILs.", "shortening the timeline", False),
    ],
)
def test_sets_aside(text: str, aside: str, expected: bool) -> None:
    assert sets_aside(text, aside) is expected


@pytest.mark.parametrize(
    "question, abbreviation",
    [
        ("what does TIL stand for", "TIL"),
        ("What is BLA short for?", "BLA"),
        ("what does the acronym ORR mean", "ORR"),
        ("What does ORR mean in the trial results?", "ORR"),  # written as an abbreviation
        ("What does the abbreviation TIL stand for?", "TIL"),
        ("What does Iovance mean?", None),
        ("What does LGM stands for?", "LGM"),
        ("What does TIL therapy do?", None),
        ("what is TIL", None),  # a definition: any defining sentence answers it
    ],
)
def test_expansion_term(question: str, abbreviation: str | None) -> None:
    assert expansion_term(question) == abbreviation


@pytest.mark.parametrize(
    "text, expected",
    [
        ("At the core is the development of tumor infiltrating lymphocyte (TIL) therapy.", True),
        ("TIL (tumor-infiltrating lymphocyte) therapy uses the patient's own cells.", True),
        ("TIL stands for tumor-infiltrating lymphocyte.", True),
        ("TILs are naturally primed to recognize tumor antigens.", False),
        ("The TIL product is made in one facility (in New Jersey).", False),
    ],
)
def test_expands(text: str, expected: bool) -> None:
    assert expands(text, "TIL") is expected


@pytest.mark.parametrize(
    "question, sides",
    [
        ("how is TIL therapy different from CAR-T", ["CAR-T"]),
        ("How does TIL therapy compare with CAR-T cell therapy for solid tumors?", ["CAR-T cell therapy"]),
        ("How do TILs differ from CAR-T cell therapy in manufacturing cost?", ["CAR-T cell therapy"]),
        ("what's the difference between TIL therapy and CAR-T cell therapy", ["TIL therapy", "CAR-T cell therapy"]),
        ("lifileucel plus pembrolizumab versus pembrolizumab alone - which works better?", ["pembrolizumab alone"]),
        ("What is lifileucel plus pembrolizumab being compared against?", []),
        ("What is TIL therapy?", []),
    ],
)
def test_compared_sides(question: str, sides: list[str]) -> None:
    assert compared_sides(question) == sides


# -- The rules at work in AnswerExtractor (HashEncoder: words shared make texts similar) ---------

# Sixteen sentences, so that a name in one of them is distinctive (in at most a tenth of them).
RULES_CORPUS = (
    "Partners\n"
    "The company bought Proleukin from Clinigen. "
    "The company bought Zelboraf and Proleukin from Clinigen later. "
    "The company licensed gene editing from Cellectis for its cells.\n"
    "\n"
    "Trials\n"
    "The company started a Phase 3 trial of its cells in melanoma. "
    "The trial compares two arms.\n"
    "\n"
    "Manufacturing\n"
    "The company makes its cells in one central facility. "
    "Cells are grown in a closed system. The product is frozen after growth. "
    "Each batch is checked for purity. Each batch is shipped to treatment centers. "
    "Treatment centers infuse the cells. Patients stay in hospital for a week. "
    "Doctors follow the patients for years. Results are reported to regulators. "
    "Regulators review the results. Reviews take many months.\n"
)


def _built_assistant(tmp_path_factory: pytest.TempPathFactory, name: str, text: str):
    """An assistant over one file holding `text`, its index built (hash vectors: the rules under
    test read the text, not the model)."""
    import tilqa
    from helpers import HashEncoder, write_corpus

    base = tmp_path_factory.mktemp(name)
    corpus = write_corpus(base / "corpus", {f"{name}.txt": text})
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=base / "index", embedder=HashEncoder())
    assistant.build()
    return assistant


@pytest.fixture(scope="module")
def rules_assistant(tmp_path_factory: pytest.TempPathFactory):
    return _built_assistant(tmp_path_factory, "company", RULES_CORPUS)


def _top_sentence(assistant, question: str) -> str:
    explanation = assistant.explain(question)
    return explanation.index.sentences[explanation.candidates[0].sentence].text


def test_an_exclusion_question_is_not_answered_with_what_it_sets_aside(rules_assistant, monkeypatch) -> None:
    from tilqa.answering import extractor as answer

    question = "Other than Proleukin, what did the company buy from Clinigen?"
    monkeypatch.setattr(answer, "EXCLUDED_RANK_PENALTY", 0.0)
    assert _top_sentence(rules_assistant, question).startswith("The company bought Proleukin")
    monkeypatch.undo()
    # The sentence naming Proleukin alone is set aside; the one naming it among others is not.
    explanation = rules_assistant.explain(question)
    by_text = {explanation.index.sentences[c.sentence].text: c.penalty for c in explanation.candidates}
    assert by_text["The company bought Proleukin from Clinigen."] == answer.EXCLUDED_RANK_PENALTY
    assert by_text["The company bought Zelboraf and Proleukin from Clinigen later."] == 0.0
    assert _top_sentence(rules_assistant, question).startswith("The company bought Zelboraf")
    assert explanation.extraction.typed


def test_an_answer_about_what_an_exclusion_question_sets_aside_counts_as_untyped(rules_assistant) -> None:
    extraction = rules_assistant.explain("Apart from Cellectis, who licensed gene editing to the company?").extraction
    assert not extraction.typed  # only the Cellectis sentence is about gene editing


def test_a_yes_no_answer_must_name_one_of_the_questions_distinctive_names(rules_assistant) -> None:
    assert rules_assistant.explain("Does the company license gene editing from Cellectis?").extraction.typed
    # Philadelphia is named nowhere: no sentence settles the question, so its confidence is cut.
    assert not rules_assistant.explain("Does the company make its cells in Philadelphia?").extraction.typed
    # The same question asked for a fact rather than yes or no is not held to it.
    assert rules_assistant.explain("Where does the company make its cells, Philadelphia?").extraction.typed


def test_a_comparison_with_something_the_corpus_never_names_cannot_be_answered(rules_assistant) -> None:
    # The corpus names Zelboraf, though not in the answer: the comparison may be answered.
    assert rules_assistant.explain("How does Proleukin differ from Zelboraf?").extraction.typed
    # It never names CAR-T: no sentence can say how the two differ, so the confidence is cut.
    assert not rules_assistant.explain("How does Proleukin differ from CAR-T cells?").extraction.typed
    # A typo is not something the corpus never names.
    assert rules_assistant.explain("How does Proleukin differ from Zelborf?").extraction.typed


REPORT_CORPUS = (
    "Company Report\n"
    "\n"
    "20 March 2025\n"
    "Overview\n"
    "The company makes its cells in one central facility. "
    "The company took its current name in 2017 to reflect its focus on cells.\n"
)


@pytest.fixture(scope="module")
def report_assistant(tmp_path_factory: pytest.TempPathFactory):
    return _built_assistant(tmp_path_factory, "report", REPORT_CORPUS)


def test_a_dateline_answers_when_its_document_was_written_and_nothing_else(report_assistant) -> None:
    explanation = report_assistant.explain("When was this company report written?")
    assert _top_sentence(report_assistant, "When was this company report written?") == "20 March 2025"
    assert explanation.extraction.typed
    for question in ("What is the company report?", "When did the company take its current name?"):
        texts = [report_assistant.index.sentences[c.sentence].text for c in report_assistant.explain(question).candidates]
        assert texts and "20 March 2025" not in texts, question


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Why is making TILs so tricky?", True),
        ("how do they actually make a TIL treatment out of a patient's own tumor?", True),
        ("How many patients were treated?", False),
        ("how long does production take", False),
        ("What is TIL therapy?", False),
    ],
)
def test_is_why_or_how(question: str, expected: bool) -> None:
    assert is_why_or_how(question) is expected
