"""The model organism's parts, in plain PyTorch, numpy and PIL (no transformers here):

- the tokenizer: a Llama-style byte-fallback BPE whose merges build each word of a fixed word list, written as a
  tokenizer.json the Hugging Face tokenizers library (and DJL's binding of it) loads, and encoded here by the same
  algorithm (added tokens split first, Metaspace with prepend_scheme "first", BPE by merge rank, byte fallback);
- CLIPImageProcessor's preprocessing (shortest edge, PIL bicubic, centre crop, rescale, normalise);
- LlavaForConditionalGeneration with Hugging Face's tensor names and semantics: CLIP vision tower (pre_layrnorm,
  quick_gelu, hidden state -2, CLS dropped), Linear-GELU-Linear projector, Llama (RMSNorm, rotary, SiLU MLP, GQA);
- safetensors reading and writing (JSON header + raw little-endian bytes).
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

# ---------------------------------------------------------------------------------------------------------------
# Tokenizer

SPACE = "\u2581"
UNK, BOS, EOS, IMAGE, PAD = "<unk>", "<s>", "</s>", "<image>", "<pad>"
BOS_ID, EOS_ID = 1, 2

# Words that follow a space (or open the text): the prompts of EXPERIMENTS.md, the scene texts, and a few more
# question words so that other questions tokenize into whole words too.
SPACED_WORDS = """
USER ASSISTANT Is is there a an in this the image It Yes No What what Which which shape object on left right at
top bottom and of Describe describe picture photo color colour How how many Are are Where where see can you
circle square triangle star cross heart diamond moon red green blue yellow purple orange white black
""".split()
# Words that open a line, as a question does after the template's "<image>\n", or that follow an added token, as
# "USER" does after "</s>" in a multi-turn conversation.
LINE_START_WORDS = "Is What Which Describe How Are Where USER".split()
# Single characters: every printable ASCII character is a token, so text never falls back to bytes but for
# control characters such as the newline.
PRINTABLE = [chr(c) for c in range(33, 127)]


def build_vocab():
    """(vocab list in id order, merges in rank order). Each word is built left to right by merging the prefix so
    far with its next character; every merge of a spaced word outranks every merge of a line-start word, so a
    spaced word is always built whole."""
    vocab = [UNK, BOS, EOS] + ["<0x%02X>" % b for b in range(256)] + [SPACE] + PRINTABLE
    known = set(vocab)
    merges = []
    for words in ([SPACE + w for w in SPACED_WORDS], LINE_START_WORDS):
        for word in words:
            prefix = word[0]
            for ch in word[1:]:
                token = prefix + ch
                if token not in known:
                    merges.append((prefix, ch))
                    vocab.append(token)
                    known.add(token)
                prefix = token
    return vocab, merges


VOCAB, MERGES = build_vocab()
IMAGE_ID = len(VOCAB)
PAD_ID = IMAGE_ID + 1
VOCAB_SIZE = PAD_ID + 1
TOKEN_ID = {t: i for i, t in enumerate(VOCAB)}
TOKEN_ID.update({IMAGE: IMAGE_ID, PAD: PAD_ID})
ID_TOKEN = {i: t for t, i in TOKEN_ID.items()}
MERGE_RANK = {pair: r for r, pair in enumerate(MERGES)}
ADDED = {UNK: 0, BOS: BOS_ID, EOS: EOS_ID, IMAGE: IMAGE_ID, PAD: PAD_ID}


def bpe(symbols):
    """Applies merges lowest rank first (leftmost on ties) until none applies, as tokenizers' BPE does."""
    symbols = list(symbols)
    while len(symbols) > 1:
        best = None
        for i in range(len(symbols) - 1):
            r = MERGE_RANK.get((symbols[i], symbols[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        i = best[1]
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


def encode_segment(text, first):
    """One stretch of text between added tokens: Metaspace (spaces to U+2581, one prepended to the text's start
    only), then BPE over the whole stretch (split=false), unknown symbols as their UTF-8 bytes."""
    text = text.replace(" ", SPACE)
    if first and not text.startswith(SPACE):
        text = SPACE + text
    ids = []
    for token in bpe(list(text)):
        if token in TOKEN_ID:
            ids.append(TOKEN_ID[token])
        else:
            ids.extend(TOKEN_ID["<0x%02X>" % b] for b in token.encode("utf-8"))
    return ids


def encode(text, add_bos=True):
    """Token ids of text as tokenizer.json encodes it: added tokens matched whole, BOS prepended."""
    ids = [BOS_ID] if add_bos else []
    pos = 0
    while pos < len(text):
        nxt = min(((text.find(tok, pos), tok) for tok in ADDED if text.find(tok, pos) >= 0), default=None)
        end = nxt[0] if nxt else len(text)
        if end > pos:
            ids.extend(encode_segment(text[pos:end], pos == 0))
        if not nxt:
            break
        ids.append(ADDED[nxt[1]])
        pos = end + len(nxt[1])
    return ids


def decode(ids):
    """Skips special tokens; U+2581 back to spaces; byte tokens joined; the leading space stripped."""
    out = bytearray()
    for i in ids:
        tok = ID_TOKEN[int(i)]
        if tok in ADDED:
            continue
        if tok.startswith("<0x") and len(tok) == 6:
            out.append(int(tok[3:5], 16))
        else:
            out.extend(tok.replace(SPACE, " ").encode("utf-8"))
    text = out.decode("utf-8", errors="replace")
    return text[1:] if text.startswith(" ") else text


def decode_with_special(ids):
    """The text whose encoding is ids: special tokens kept, byte tokens joined, U+2581 back to spaces, the
    Metaspace space at the very start dropped."""
    out = bytearray()
    for i in ids[1:] if ids and ids[0] == BOS_ID else ids:
        tok = ID_TOKEN[int(i)]
        if tok.startswith("<0x") and len(tok) == 6:
            out.append(int(tok[3:5], 16))
        else:
            out.extend(tok.replace(SPACE, " ").encode("utf-8"))
    text = out.decode("utf-8")
    return text[1:] if text.startswith(" ") else text


def special(content):
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}


def tokenizer_json():
    added = [dict(special(t), id=i, special=True) for t, i in sorted(ADDED.items(), key=lambda kv: kv[1])]
    bos = {"SpecialToken": {"id": BOS, "type_id": 0}}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "first", "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": BOS, "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {BOS: {"id": BOS, "ids": [BOS_ID], "tokens": [BOS]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": UNK, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(VOCAB)}, "merges": [[a, b] for a, b in MERGES]},
    }


CHAT_TEMPLATE = ("{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
                 "{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', "
                 "'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] "
                 "!= 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
                 "{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | "
                 "selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}"
                 "{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}")


def tokenizer_config(max_positions):
    decoder = {str(i): dict(special(t), special=True) for t, i in sorted(ADDED.items(), key=lambda kv: kv[1])}
    return {"add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": decoder, "bos_token": BOS,
            "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False, "eos_token": EOS,
            "image_token": IMAGE, "legacy": False, "model_max_length": max_positions, "pad_token": PAD,
            "padding_side": "left", "processor_class": "LlavaProcessor", "tokenizer_class": "LlamaTokenizer",
            "unk_token": UNK}


# ---------------------------------------------------------------------------------------------------------------
# Image preprocessing: CLIPImageProcessor

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def resize_and_crop(path, size):
    """uint8 [size, size, 3]: shortest edge to size with PIL bicubic (new long edge int(size * long / short)),
    then the centre crop at ((h - size) // 2, (w - size) // 2), as CLIPImageProcessor does before rescaling."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    if w <= h:
        new_w, new_h = size, int(size * h / w)
    else:
        new_w, new_h = int(size * w / h), size
    image = image.resize((new_w, new_h), resample=Image.BICUBIC, reducing_gap=None)
    a = np.asarray(image)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return np.ascontiguousarray(a[top:top + size, left:left + size])


def normalize(uint8_hwc):
    """float32 [..., 3, H, W]: rescale by 1/255 in float64 then float32, then (x - mean) / std in float32."""
    x = (uint8_hwc.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - CLIP_MEAN) / CLIP_STD
    return np.moveaxis(x, -1, -3).copy()


# ---------------------------------------------------------------------------------------------------------------
# Model

class ClipAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        b, n, d = x.shape
        q = (self.q_proj(x) * self.head_dim ** -0.5).view(b, n, self.heads, -1).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.heads, -1).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.heads, -1).transpose(1, 2)
        p = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return self.out_proj((p @ v).transpose(1, 2).reshape(b, n, d))


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class ClipMlp(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, inner), nn.Linear(inner, d)

    def forward(self, x):
        return self.fc2(quick_gelu(self.fc1(x)))


class ClipLayer(nn.Module):
    def __init__(self, d, inner, heads, eps):
        super().__init__()
        self.self_attn = ClipAttention(d, heads)
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.mlp = ClipMlp(d, inner)
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class ClipEmbeddings(nn.Module):
    def __init__(self, d, image_size, patch):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(d) * 0.02)
        self.patch_embedding = nn.Conv2d(3, d, patch, stride=patch, bias=False)
        self.position_embedding = nn.Embedding((image_size // patch) ** 2 + 1, d)

    def forward(self, pixels):
        p = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(p.shape[0], 1, -1)
        return torch.cat([cls, p], dim=1) + self.position_embedding.weight


class ClipVisionModel(nn.Module):
    """vision_model.*: the hidden states are [embeddings after pre_layrnorm, each layer's output]."""

    def __init__(self, c):
        super().__init__()
        self.embeddings = ClipEmbeddings(c["hidden_size"], c["image_size"], c["patch_size"])
        self.pre_layrnorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(ClipLayer(c["hidden_size"], c["intermediate_size"],
                                                      c["num_attention_heads"], c["layer_norm_eps"])
                                            for _ in range(c["num_hidden_layers"]))
        self.post_layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def features(self, pixels, feature_layer):
        """hidden_states[feature_layer] without the CLS token (LLaVA's "default" strategy). The hidden states are
        the embeddings after pre_layrnorm and each layer's output; layers past the selected one are not run."""
        h = self.pre_layrnorm(self.embeddings(pixels))
        selected = feature_layer % (len(self.encoder.layers) + 1)
        for layer in self.encoder.layers[:selected]:
            h = layer(h)
        return h[:, 1:]


class RmsNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.heads, self.kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
        self.head_dim = d // self.heads
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, n, _ = x.shape
        q = self.q_proj(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        repeat = self.heads // self.kv_heads
        k = k.repeat_interleave(repeat, dim=1)
        v = v.repeat_interleave(repeat, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask
        p = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        if getattr(self, "keep_probs", False):
            self.probs = p  # [b, heads, n, n], read by the trainer's attention loss
        return self.o_proj((p @ v).transpose(1, 2).reshape(b, n, -1))


class LlamaMlp(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.gate_proj = nn.Linear(d, inner, bias=False)
        self.up_proj = nn.Linear(d, inner, bias=False)
        self.down_proj = nn.Linear(inner, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = LlamaAttention(c)
        self.mlp = LlamaMlp(c["hidden_size"], c["intermediate_size"])
        self.input_layernorm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, embeds, attention_mask):
        """embeds [b, n, d]; attention_mask [b, n] (1 = token, 0 = padding on the right)."""
        b, n, _ = embeds.shape
        head_dim = self.c["hidden_size"] // self.c["num_attention_heads"]
        dev = embeds.device
        inv_freq = 1.0 / (self.c["rope_theta"] ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=dev).float()
                                                   / head_dim))
        freqs = torch.arange(n, dtype=torch.float32, device=dev)[:, None] * inv_freq[None, :]
        angles = torch.cat([freqs, freqs], dim=-1)
        cos, sin = angles.cos(), angles.sin()
        causal = torch.full((n, n), float("-inf"), device=dev).triu(1)
        mask = causal[None, None] + torch.where(attention_mask[:, None, None, :] > 0, 0.0, float("-inf"))
        # A padded query row may see no key at all; let it see itself so softmax stays finite (its loss is masked).
        mask = torch.where(torch.isinf(mask).all(-1, keepdim=True), causal[None, None] * 0, mask)
        h = embeds
        states = [h]
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
            states.append(h)
        return self.norm(h), states


class Projector(nn.Module):
    def __init__(self, vision_d, text_d):
        super().__init__()
        self.linear_1 = nn.Linear(vision_d, text_d)
        self.linear_2 = nn.Linear(text_d, text_d)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


class Llava(nn.Module):
    """LlavaForConditionalGeneration: state_dict keys are exactly the classic checkpoint layout."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.vision_tower = nn.Module()
        self.vision_tower.vision_model = ClipVisionModel(config["vision_config"])
        self.multi_modal_projector = Projector(config["vision_config"]["hidden_size"],
                                               config["text_config"]["hidden_size"])
        self.language_model = nn.Module()
        self.language_model.model = LlamaModel(config["text_config"])
        self.language_model.lm_head = nn.Linear(config["text_config"]["hidden_size"],
                                                config["text_config"]["vocab_size"], bias=False)

    def image_features(self, pixels):
        f = self.vision_tower.vision_model.features(pixels, self.config["vision_feature_layer"])
        return self.multi_modal_projector(f)

    def embed(self, input_ids, features):
        """Token embeddings with the image tokens (already expanded, one per visual token) replaced in order."""
        e = self.language_model.model.embed_tokens(input_ids)
        is_image = input_ids == self.config["image_token_index"]
        e = e.clone()
        e[is_image] = features.reshape(-1, features.shape[-1]).to(e.dtype)
        return e

    def forward(self, pixels, input_ids, attention_mask, return_states=False):
        embeds = self.embed(input_ids, self.image_features(pixels))
        h, states = self.language_model.model(embeds, attention_mask)
        logits = self.language_model.lm_head(h)
        return (logits, states) if return_states else logits


# ---------------------------------------------------------------------------------------------------------------
# safetensors

DTYPES = {torch.float32: ("F32", np.float32), torch.float16: ("F16", np.float16), torch.int64: ("I64", np.int64)}


def save_safetensors(path, tensors, metadata=None):
    """Tensors sorted by name, as the safetensors library writes them; header padded with spaces to 8 bytes."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        code, np_dtype = DTYPES[t.dtype]
        data = t.numpy().astype(np.dtype(np_dtype).newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    codes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=np.dtype(codes[info["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.astype(codes[info["dtype"]]).reshape(info["shape"]))
    return out
