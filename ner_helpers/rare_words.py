"""Which vocabulary words are rare in the training data.

Most words a tagger meets at test time that it never saw in training are names:
people, companies, places. All of them get the unknown id, so the model can only
tag them well if the unknown id's embedding has learned to mean "a rare word,
probably a name". Replacing the *rare* training words by the unknown id now and
then (rare-word dropout, see :class:`~ner_helpers.predictor.NERPredictor`)
teaches it exactly that; replacing words uniformly at random teaches it "any
word", which is mostly ``O``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from ner_helpers.errors import KitError
from ner_helpers.tokenizer import Tokenizer


def rare_token_ids(tokenizer: Tokenizer, rows: Iterable[Mapping], max_count: int,
                   text_colname: str = "text") -> list[int]:
    """Ids of the vocabulary tokens seen at most ``max_count`` times in ``rows``.

    Tokens are counted the way the tokenizer sees them (lowercased when it
    lowercases). The pad and unknown ids are never rare. Returns sorted ids.
    """
    if not isinstance(max_count, int) or isinstance(max_count, bool) or max_count < 1:
        raise KitError(f"rare_word_max_count must be a positive integer, got {max_count!r}")
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(tokenizer.normalise(row[text_colname]))
    special = {tokenizer.pad_id, tokenizer.unk_id}
    rare = (tokenizer.token2id[token] for token, n in counts.items()
            if n <= max_count and token in tokenizer.token2id)
    return sorted(idx for idx in rare if idx not in special)
