"""Special tokens and the tag map shared by every part of the kit.

The nine IOB2 tags of the CoNLL entity types are numbered 0..8. The pad tag is
numbered -100, the value ``torch.nn.CrossEntropyLoss`` ignores by default, so
padding positions never contribute to the loss.
"""

PAD_TOKEN = "<|pad|>"
UNK_TOKEN = "<|unk|>"
PAD_NER_TAG = "<|pad|>"
PAD_NER_TAG_ID = -100

ENTITY_TYPES = ("ORG", "PER", "LOC", "MISC")

NER_ENCODING_MAP: dict[str, int] = {
    "O": 0,
    "B-ORG": 1,
    "I-ORG": 2,
    "B-PER": 3,
    "I-PER": 4,
    "B-LOC": 5,
    "I-LOC": 6,
    "B-MISC": 7,
    "I-MISC": 8,
    PAD_NER_TAG: PAD_NER_TAG_ID,
}
NER_DECODING_MAP: dict[int, str] = {idx: tag for tag, idx in NER_ENCODING_MAP.items()}

#: The tags a model predicts, in id order (the pad tag is not among them).
NER_TAGS: tuple[str, ...] = tuple(tag for tag, idx in NER_ENCODING_MAP.items() if idx >= 0)
NUM_NER_TAGS = len(NER_TAGS)
