"""Trains the model organism on scene sets written by `vlmscope scenes`, and exports it.

  train.py vision --train DIR --work DIR --steps N    stage 1: the vision tower alone -> work/vision.pt
  train.py train  --train DIR --work DIR --steps N    stage 2: projector and language model over it -> work/state.pt
  train.py export --heldout DIR --work DIR --out CHECKPOINT_DIR

Both stages save every few hundred steps (and at the end) and log to stdout; `export` writes the
Hugging Face checkpoint (config.json, model.safetensors, preprocessor and tokenizer files), measures the held-out
accuracies (polling, description recall, VQA) into heldout-accuracy.json, and writes reference-logits.safetensors:
pixel values, input ids and logits of a few held-out prompts, which a Java test reproduces through the exporter.
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import organism as o

IMAGE_SIZE, PATCH = 168, 14
GRID = IMAGE_SIZE // PATCH
VISUAL_TOKENS = GRID * GRID
TEMPLATE = "USER: <image>\n{} ASSISTANT:"
VQA_CONTINUATION = " It is a"
DESCRIBE = ["Describe this image.", "Describe the image."]

CONFIG = {
    "architectures": ["LlavaForConditionalGeneration"],
    "ignore_index": -100,
    "image_seq_length": VISUAL_TOKENS,
    "image_token_index": o.IMAGE_ID,
    "model_type": "llava",
    "pad_token_id": o.PAD_ID,
    "projector_hidden_act": "gelu",
    "text_config": {"model_type": "llama", "hidden_size": 64, "intermediate_size": 192, "num_hidden_layers": 4,
                    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": o.VOCAB_SIZE,
                    "rms_norm_eps": 1e-05, "pad_token_id": o.PAD_ID},
    "vision_config": {"model_type": "clip_vision_model", "hidden_size": 64, "intermediate_size": 256,
                      "num_hidden_layers": 4, "num_attention_heads": 4, "image_size": IMAGE_SIZE,
                      "patch_size": PATCH},
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.45.1",
    "vision_feature_layer": -2,
    "vision_feature_select_strategy": "default",
}
# The class defaults that the compact config.json leaves out, as the model code needs them.
MODEL_DEFAULTS = {"text_config": {"rope_theta": 10000.0}, "vision_config": {"layer_norm_eps": 1e-05}}


def set_language_width(width):
    """Resizes the language model in CONFIG: width `width`, MLP 3x as wide, 16-wide heads, two queries per key
    head (64 gives the shipped 4 heads / 2 key-value heads)."""
    if width % 32:
        raise SystemExit(f"--lm-width must be a multiple of 32 (16-wide heads, two per key head), got {width}")
    CONFIG["text_config"].update(hidden_size=width, intermediate_size=3 * width, num_attention_heads=width // 16,
                                 num_key_value_heads=width // 32)


def model_config():
    c = json.loads(json.dumps(CONFIG))
    for part, values in MODEL_DEFAULTS.items():
        c[part].update(values)
    return c


# ---------------------------------------------------------------------------------------------------------------
# Data

def load_scene_set(directory, cache=None):
    """(uint8 images [n, 168, 168, 3], questions.json's per-image records), images in the records' order. With
    cache, the preprocessed images are kept there as .npy for the next run."""
    with open(os.path.join(directory, "questions.json")) as f:
        records = json.load(f)["images"]
    if cache and os.path.exists(cache):
        return np.load(cache), records
    images = np.stack([o.resize_and_crop(os.path.join(directory, "images", r["file_name"]), IMAGE_SIZE)
                       for r in records])
    if cache:
        np.save(cache, images)
    return images, records


SHAPES = ["circle", "square", "triangle", "star", "cross", "heart", "diamond", "moon"]
COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]
# A patch is labelled with an object when the object covers at least this share of it.
PATCH_COVER = 0.15


def patch_labels(directory, records, cache=None):
    """Per image and visual token (row-major on the 12x12 grid): the shape and the colour (1-based; 0 for
    background) of the object covering at least PATCH_COVER of the patch (the later one where two do), from the
    COCO polygons mapped through the same resize and centre crop as the pixels. Targets of the auxiliary patch loss
    only; the checkpoint has no trace of them."""
    if cache and os.path.exists(cache):
        return np.load(cache)
    from PIL import Image, ImageDraw
    with open(os.path.join(directory, "instances.json")) as f:
        coco = json.load(f)
    size = {im["id"]: (im["width"], im["height"]) for im in coco["images"]}
    by_image = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    labels = np.zeros((len(records), 2, VISUAL_TOKENS), dtype=np.int64)
    for n, r in enumerate(records):
        w, h = size[r["image_id"]]
        new_w, new_h = (IMAGE_SIZE, int(IMAGE_SIZE * h / w)) if w <= h else (int(IMAGE_SIZE * w / h), IMAGE_SIZE)
        left, top = (new_w - IMAGE_SIZE) // 2, (new_h - IMAGE_SIZE) // 2
        colour = {obj["annotation_id"]: obj["color"] for obj in r["objects"]}
        canvas = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
        draw = ImageDraw.Draw(canvas)
        anns = by_image.get(r["image_id"], [])
        for k, a in enumerate(anns):
            xy = a["segmentation"][0]
            pts = [(xy[i] * new_w / w - left, xy[i + 1] * new_h / h - top) for i in range(0, len(xy), 2)]
            draw.polygon(pts, fill=k + 1)
        m = np.asarray(canvas).reshape(GRID, PATCH, GRID, PATCH).transpose(0, 2, 1, 3).reshape(VISUAL_TOKENS, -1)
        for k, a in enumerate(anns):
            cover = (m == k + 1).mean(1)
            hit = cover >= PATCH_COVER
            labels[n, 0, hit] = a["category_id"]
            labels[n, 1, hit] = COLORS.index(colour[a["id"]]) + 1
    if cache:
        np.save(cache, labels)
    return labels


def prompt_ids(question, vqa):
    text = TEMPLATE.format(question) + (VQA_CONTINUATION if vqa else "")
    return o.encode(text)


def expand(ids):
    out = []
    for i in ids:
        out.extend([o.IMAGE_ID] * VISUAL_TOKENS if i == o.IMAGE_ID else [i])
    return out


def answer_ids(answer):
    return o.encode_segment(" " + answer, first=False) + [o.EOS_ID]


def turns(record):
    """Every (task, question, answer) of one scene; VQA answers carry the "It is a" the prompt ends with."""
    out = [("description", q, record["description"]) for q in DESCRIBE]
    out += [("polling", p["question"], p["answer"]) for p in record["polling"]]
    out += [("vqa", v["question"], VQA_CONTINUATION.strip() + " " + v["answer"]) for v in record["vqa"]]
    return out


def conversation(record, rng, max_turns):
    """A LLaVA-1.5 multi-turn conversation about one scene, as LLaVA trains: "USER: <image>\nQ1 ASSISTANT: A1</s>
    USER: Q2 ASSISTANT: A2</s>...". The first turn is exactly an evaluation prompt (its task drawn with equal
    weights); later turns add supervision for little compute, since the visual tokens dominate the sequence.
    Returns (ids, labels) with the image placeholder once and -100 off the answers."""
    pool = turns(record)
    task = rng.choice(["description", "polling", "vqa"])
    first = rng.choice([t for t in pool if t[0] == task] or pool)
    rest = [t for t in pool if t is not first and t[0] != "description"]
    rng.shuffle(rest)
    chosen = [first] + rest[:max_turns - 1]
    ids, labels = [], []
    for n, (_, question, answer) in enumerate(chosen):
        p = o.encode(TEMPLATE.format(question)) if n == 0 else o.encode_segment(f"USER: {question} ASSISTANT:", False)
        a = answer_ids(answer)
        ids += p + a
        labels += [-100] * len(p) + a
    return ids, labels


def batch(items):
    """items: (image index, ids, labels), the image placeholder once. Expanded, right-padded ids, attention mask
    and labels (-100 on visual tokens and padding)."""
    seqs = []
    for _, ids, labels in items:
        e_ids, e_labels = [], []
        for i, l in zip(ids, labels):
            n = VISUAL_TOKENS if i == o.IMAGE_ID else 1
            e_ids += [i] * n
            e_labels += [l] * n
        seqs.append((e_ids, e_labels))
    n = max(len(s) for s, _ in seqs)
    ids = torch.full((len(items), n), o.PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(items), n), dtype=torch.long)
    labels = torch.full((len(items), n), -100, dtype=torch.long)
    for row, (s, l) in enumerate(seqs):
        ids[row, :len(s)] = torch.tensor(s)
        mask[row, :len(s)] = 1
        labels[row, :len(s)] = torch.tensor(l)
    return ids, mask, labels


def pixels(images, indices):
    return torch.from_numpy(o.normalize(images[indices]))


# The heads whose attention is supervised: layer 1 of 4 leaves layers 2-3 to bring what they find to the answer.
# Head 0 looks for what a question names (a shape, a colour); with --spatial-head, head 1 looks where a question
# says (left, right, top, bottom).
ATTENTION_LAYER, ATTENTION_HEAD, SPATIAL_HEAD = 1, 0, 1
SPATIAL_WORDS = ["left", "right", "top", "bottom"]


def attention_targets(ids, labels, patch, spatial_head=False):
    """Per example of a batch of conversations (expanded ids and labels [b, n], patch labels [b, 2, 144]), for its
    first question: the supervised head, the query position and a [n] mask of the key positions the head should
    look at, or None where there are none (descriptions, and shapes too small to cover a patch). Polling: at the
    asked shape's word, that shape's patches when the answer is Yes, the BOS token (position 0, an attention sink)
    when it is No; VQA: at the question's last word ("left", "red", "image"), the answer's patches, seen by the
    spatial head when there is one and the word is a place."""
    shape_of = {word_id(w): k + 1 for k, w in enumerate(SHAPES)}
    spatial = {word_id(w) for w in SPATIAL_WORDS}
    yes, no, it, mark = word_id("Yes"), word_id("No"), word_id("It"), o.encode_segment("?", first=False)[0]
    out = []
    for row in range(ids.shape[0]):
        r_ids, r_labels = ids[row].tolist(), labels[row].tolist()
        answer = [p for p, l in enumerate(r_labels) if l != -100]
        first = r_labels[answer[0]]
        keys = torch.zeros(len(r_ids), dtype=torch.bool)
        shape, query = None, -1
        if first in (yes, no):
            query = max(p for p in range(answer[0]) if r_ids[p] in shape_of)
            shape = shape_of[r_ids[query]] if first == yes else None
            keys[0] = first == no
        elif first == it:
            named = [p for p in answer if r_labels[p] in shape_of]
            shape, query = shape_of[r_labels[named[0]]], r_ids.index(mark) - 1
        if shape is not None:
            keys[ids[row] == o.IMAGE_ID] = patch[row, 0] == shape
        head = SPATIAL_HEAD if spatial_head and r_ids[query] in spatial else ATTENTION_HEAD
        out.append((head, query, keys if bool(keys.any()) else None))
    return out


def attention_loss(model, ids, labels, patch, spatial_head=False):
    """Supervised attention: a head of layer 1 (see attention_targets), at the word that names what a question asks
    about, puts its weight on the patches of the shape that answers it, or on BOS when a polled shape is absent
    (-log of the weight there). Without it the language model learned to name a shape it saw (VQA above chance) but
    never to tell a present shape from an absent one (polling at chance for 1,200 steps); supervised at the last
    prompt position instead, the head never learned to bring the asked word there. The patch labels say where to
    look, so the trainer says it; what to do with what the head finds is left to the answer loss."""
    probs = model.language_model.model.layers[ATTENTION_LAYER].self_attn.probs
    losses = [-torch.log(probs[row, head, query][keys].sum() + 1e-6)
              for row, (head, query, keys) in enumerate(attention_targets(ids, labels, patch, spatial_head))
              if keys is not None]
    return torch.stack(losses).mean() if losses else probs.sum() * 0


def answer_loss(model, visual_tokens, ids, mask, labels):
    """The answer tokens' cross-entropy, from the projector's output ([b, 144, d_text]) onwards."""
    embeds = model.embed(ids, visual_tokens)
    h, _ = model.language_model.model(embeds, mask)
    # Only answer positions need logits: position t predicts labels[t + 1].
    target = labels[:, 1:]
    keep = target != -100
    return F.cross_entropy(model.language_model.lm_head(h[:, :-1][keep]), target[keep])


def patch_loss(shape_logits, colour_logits, labels, background_weight=1.0):
    """Cross-entropy of per-visual-token shape and colour logits against the patch labels [b, 2, 144]; background
    tokens weigh background_weight against an object token's 1."""
    weight = torch.where(labels[:, 0] > 0, 1.0, background_weight).reshape(-1)
    shape = F.cross_entropy(shape_logits.reshape(-1, len(SHAPES) + 1), labels[:, 0].reshape(-1), reduction="none")
    colour = F.cross_entropy(colour_logits.reshape(-1, len(COLORS) + 1), labels[:, 1].reshape(-1), reduction="none")
    return ((shape + colour) * weight).sum() / weight.sum()


def position_loss(position_logits):
    """Cross-entropy of per-visual-token row and column logits ([b, 144, 12] each) against the token's own row and
    column on the grid."""
    rows, columns = position_logits
    cell = torch.arange(VISUAL_TOKENS).repeat(rows.shape[0])
    return (F.cross_entropy(rows.reshape(-1, GRID), cell // GRID)
            + F.cross_entropy(columns.reshape(-1, GRID), cell % GRID))


class PositionProbe(torch.nn.Module):
    """Linear read-outs of a visual token's row and column (--position-weight). Trained on the features beside the
    shape and colour probes, it keeps where a patch is in what the language model reads: without it the tower's
    features (and more so the projector's output) had lost the column (a linear fit of an object patch's column off
    by 2.2 columns against a spread of 2.6), and the language model answered "What shape is on the left?" at 57%,
    no better on its training scenes, while "at the top" (which the token order tells) reached 79%. A training head
    only, never in the checkpoint."""

    def __init__(self, d):
        super().__init__()
        self.row = torch.nn.Linear(d, GRID)
        self.column = torch.nn.Linear(d, GRID)

    def forward(self, features):
        return self.row(features), self.column(features)


class PatchProbe(torch.nn.Module):
    """Linear read-outs of shape and colour per vision feature: the vision stage's training head, never saved."""

    def __init__(self, d):
        super().__init__()
        self.shape = torch.nn.Linear(d, len(SHAPES) + 1)
        self.colour = torch.nn.Linear(d, len(COLORS) + 1)

    def forward(self, features):
        return self.shape(features), self.colour(features)


class TiedPatchProbe(torch.nn.Module):
    """Read-outs of shape and colour per visual token, tied to the language model's input embeddings: a visual
    token's shape logits are its dot products with the embeddings of the shape words (" circle", " star", ...)
    plus a learned background row, and likewise for colours. Pulling an object's visual tokens towards the
    embedding of its name lets one attention pattern (match the question's word to the patches that look like it)
    serve every shape at once. Used in training only; the checkpoint has no trace of it beyond the embeddings and
    projector it shaped."""

    def __init__(self, model):
        super().__init__()
        d = CONFIG["text_config"]["hidden_size"]
        self.embeddings = model.language_model.model.embed_tokens
        self.register_buffer("shape_ids", torch.tensor([word_id(w) for w in SHAPES]))
        self.register_buffer("colour_ids", torch.tensor([word_id(w) for w in COLORS]))
        self.shape_background = torch.nn.Parameter(torch.zeros(1, d))
        self.colour_background = torch.nn.Parameter(torch.zeros(1, d))
        self.scale = torch.nn.Parameter(torch.tensor(10.0))

    def forward(self, visual_tokens):
        weight = self.embeddings.weight
        shapes = torch.cat([self.shape_background, weight[self.shape_ids]])
        colours = torch.cat([self.colour_background, weight[self.colour_ids]])
        return self.scale * visual_tokens @ shapes.T, self.scale * visual_tokens @ colours.T


def word_id(word):
    """The one token id of a spaced word of the vocabulary (" star")."""
    ids = o.encode_segment(" " + word, first=False)
    assert len(ids) == 1, f"{word!r} is not one token: {ids}"
    return ids[0]


# ---------------------------------------------------------------------------------------------------------------
# Training

def setup(args):
    """One thread (subnormal floats flushed to zero), the seeds, the work folder and the training scenes with their
    patch labels."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # tiny weights' gradients go subnormal, which costs many times a normal float
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    images, records = load_scene_set(args.train, os.path.join(args.work, "train-images.npy"))
    patches = torch.from_numpy(patch_labels(args.train, records, os.path.join(args.work, "train-patches.npy")))
    print(f"loaded {len(records)} training scenes in {time.time() - t0:.1f} s", flush=True)
    return images, records, patches


def optimizer(named_parameters, lr):
    """AdamW, weight decay 0.01 on matrices only."""
    decay, no_decay = [], []
    for name, p in named_parameters:
        (no_decay if p.dim() < 2 or "embedding" in name else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98))


def learning_rate(args, step):
    """Linear warm-up, then cosine down to 10% of the peak."""
    cosine = 0.5 * (1 + math.cos(math.pi * step / args.steps))
    return args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.9 * cosine)


def optimise(args, opt, params, step, losses):
    """One optimiser step on the summed losses (clipped at norm 1); logs every args.log_every steps."""
    for g in opt.param_groups:
        g["lr"] = learning_rate(args, step)
    opt.zero_grad(set_to_none=True)
    sum(losses.values()).backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    args.history.append({k: v.item() for k, v in losses.items()})
    if (step + 1) % args.log_every == 0:
        recent = args.history[-args.log_every:]
        means = " ".join(f"{k} {np.mean([h[k] for h in recent]):.4f}" for k in losses)
        print(f"step {step + 1} {means} lr {learning_rate(args, step):.2e} "
              f"{(time.time() - args.started) / len(args.history):.3f} s/step", flush=True)


def save(path, state):
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)
    print(f"saved {path} at step {state['step']}", flush=True)


def sincos_positions(d, grid):
    """2-D sine-cosine position embeddings [grid * grid, d] (a quarter of the channels each for sin and cos of the
    row and of the column, frequencies 1 / 10000^(k / (d/4))), as MAE initialises a ViT. From a random start the
    vision tower had to learn which patches are neighbours before it could tell shapes apart; it never did within
    the steps this machine affords (object patches' shape at chance after 2,000 steps, 50% with this start)."""
    quarter = d // 4
    omega = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float32) / quarter))
    rows, cols = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32),
                                indexing="ij")
    r, c = rows.reshape(-1, 1) * omega, cols.reshape(-1, 1) * omega
    return torch.cat([r.sin(), r.cos(), c.sin(), c.cos()], dim=1)


def train_vision(args):
    """Stage 1: the vision tower alone learns to tell each patch's shape and colour (a linear probe on the features
    LLaVA reads, hidden state -2), from the COCO polygons. LLaVA starts from a pretrained CLIP tower; this stage
    stands in for that pretraining."""
    images, records, patches = setup(args)
    rng = random.Random(args.seed)
    model = o.Llava(model_config())
    init_weights(model)
    vision = model.vision_tower.vision_model
    if args.init:
        vision.load_state_dict(torch.load(args.init)["vision"])
    else:
        table = vision.embeddings.position_embedding.weight
        with torch.no_grad():
            table[1:] = sincos_positions(table.shape[1], GRID)
    probe = PatchProbe(CONFIG["vision_config"]["hidden_size"])
    positions = PositionProbe(CONFIG["vision_config"]["hidden_size"]) if args.position_weight > 0 else None
    named = list(vision.named_parameters()) + [(f"probe.{n}", p) for n, p in probe.named_parameters()]
    named += [(f"positions.{n}", p) for n, p in positions.named_parameters()] if positions else []
    params = [p for _, p in named]
    opt = optimizer(named, args.lr)
    args.history, args.started = [], time.time()
    for step in range(args.steps):
        index = [rng.randrange(len(records)) for _ in range(args.batch)]
        features = vision.features(pixels(images, index), CONFIG["vision_feature_layer"])
        losses = {"patch loss": patch_loss(*probe(features), patches[index], background_weight=0.2)}
        if positions:
            losses["position loss"] = args.position_weight * position_loss(positions(features))
        optimise(args, opt, params, step, losses)
        if (step + 1) % args.save_every == 0 or step + 1 == args.steps:
            save(os.path.join(args.work, "vision.pt"), {"vision": vision.state_dict(), "step": step + 1})


@torch.no_grad()
def vision_features(model, images, chunk=64):
    """The frozen vision tower's features of every image, [n, 144, d_vision]."""
    vision = model.vision_tower.vision_model
    return torch.cat([vision.features(pixels(images, list(range(s, min(s + chunk, len(images))))),
                                      CONFIG["vision_feature_layer"]) for s in range(0, len(images), chunk)])


def train(args):
    """Stage 2: the projector and language model learn the conversations, over the frozen vision tower of stage 1
    (as LLaVA trains over a frozen CLIP), plus the tied patch probe's loss (and the position probe's, with
    --position-weight) on the projector's output."""
    images, records, patches = setup(args)
    rng = random.Random(args.seed)
    set_language_width(args.lm_width)
    model = o.Llava(model_config())
    init_weights(model)
    model.vision_tower.vision_model.load_state_dict(torch.load(os.path.join(args.work, "vision.pt"))["vision"])
    mimetic_attention(model)
    model.language_model.model.layers[ATTENTION_LAYER].self_attn.keep_probs = args.attention_weight > 0
    model.vision_tower.requires_grad_(False)
    features = vision_features(model, images)
    probe = TiedPatchProbe(model)
    positions = PositionProbe(CONFIG["text_config"]["hidden_size"]) if args.position_weight > 0 else None
    if args.init:
        start = torch.load(args.init)
        language = {k: v for k, v in start["model"].items() if not k.startswith("vision_tower.")}
        model.load_state_dict(language, strict=False)
        # strict=False: a probe saved by another version of this script may hold other heads.
        probe.load_state_dict(start["probe"], strict=False)
        if positions and start.get("positions"):
            positions.load_state_dict(start["positions"])
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    named += [(f"probe.{n}", p) for n, p in probe.named_parameters() if not n.startswith("embeddings.")]
    named += [(f"positions.{n}", p) for n, p in positions.named_parameters()] if positions else []
    params = [p for _, p in named]
    opt = optimizer(named, args.lr)
    state_path = os.path.join(args.work, "state.pt")
    step = 0
    if args.resume and os.path.exists(state_path):
        state = torch.load(state_path)
        model.load_state_dict(state["model"])
        probe.load_state_dict(state["probe"])
        if positions:
            positions.load_state_dict(state["positions"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    args.history, args.started = [], time.time()
    while step < args.steps:
        items = []
        for _ in range(args.batch):
            i = rng.randrange(len(records))
            items.append((i, *conversation(records[i], rng, args.turns)))
        ids, mask, labels = batch(items)
        index = [i for i, _, _ in items]
        visual_tokens = model.multi_modal_projector(features[index])
        losses = {"answer loss": answer_loss(model, visual_tokens, ids, mask, labels),
                  "patch loss": args.patch_weight * patch_loss(*probe(visual_tokens), patches[index])}
        if positions:
            losses["position loss"] = args.position_weight * position_loss(positions(visual_tokens))
        if args.attention_weight > 0:
            losses["attention loss"] = args.attention_weight * attention_loss(model, ids, labels, patches[index],
                                                                              args.spatial_head)
        optimise(args, opt, params, step, losses)
        step += 1
        if step % args.save_every == 0 or step == args.steps:
            save(state_path, {"model": model.state_dict(), "probe": probe.state_dict(), "lm_width": args.lm_width,
                              "positions": positions.state_dict() if positions else None, "opt": opt.state_dict(),
                              "step": step, "rng": rng.getstate(), "torch_rng": torch.get_rng_state()})


def mimetic_attention(model, std=0.125):
    """Mimetic initialisation of the language model's attention (Trockman and Kolter, 2023): the first query head
    of each key/value group gets the same random weights as its key head, so W_q^T W_k starts positive definite
    and a token attends to tokens like itself. With the tied patch probe pulling an object's visual tokens towards
    its name's embedding, "star" in a question attends to star patches from the first steps."""
    with torch.no_grad():
        for layer in model.language_model.model.layers:
            a = layer.self_attn
            repeat = a.heads // a.kv_heads
            for g in range(a.kv_heads):
                w = torch.randn(a.head_dim, a.k_proj.in_features) * std
                a.k_proj.weight[g * a.head_dim:(g + 1) * a.head_dim] = w
                h = g * repeat
                a.q_proj.weight[h * a.head_dim:(h + 1) * a.head_dim] = w


def init_weights(model):
    """As Hugging Face initialises: normal(0, 0.02) weights, zero biases, unit norms."""
    for name, p in model.named_parameters():
        if name.endswith("class_embedding"):
            continue
        if p.dim() == 1:
            torch.nn.init.ones_(p) if "norm" in name else torch.nn.init.zeros_(p)
        else:
            torch.nn.init.normal_(p, std=0.02)


# ---------------------------------------------------------------------------------------------------------------
# Export and evaluation

def load_model(work):
    state = torch.load(os.path.join(work, "state.pt"), map_location="cpu")
    set_language_width(state.get("lm_width", 64))
    model = o.Llava(model_config())
    model.load_state_dict(state["model"])
    model.eval()
    return model


@torch.no_grad()
def next_tokens(model, images, index, prompts):
    """Greedy next token after each prompt (one image index per prompt)."""
    items = [(i, p, [-100] * len(p)) for i, p in zip(index, prompts)]
    ids, mask, _ = batch(items)
    logits = model(pixels(images, index), ids, mask)
    last = mask.sum(1) - 1
    return logits[torch.arange(len(items)), last].argmax(-1).tolist()


@torch.no_grad()
def generate(model, images, index, prompt, max_new=20):
    """Greedy continuations of one prompt for several scenes at once (equal lengths, so no padding)."""
    features = model.image_features(pixels(images, index))
    seqs = [expand(prompt) for _ in index]
    done = [False] * len(index)
    out = [[] for _ in index]
    for _ in range(max_new):
        t = torch.tensor(seqs)
        h, _ = model.language_model.model(model.embed(t, features), torch.ones_like(t))
        nxt = model.language_model.lm_head(h[:, -1]).argmax(-1).tolist()
        for k, token in enumerate(nxt):
            seqs[k].append(token)
            done[k] = done[k] or token == o.EOS_ID
            if not done[k]:
                out[k].append(token)
        if all(done):
            break
    return [o.decode(x) for x in out]


def evaluate(model, images, records, chunk=32):
    """Polling: the greedy next token is the answer's ("Yes"/"No"); VQA: the next token after "It is a" is the
    shape's; descriptions: share of the scene's objects whose shape word is a whole word of the greedy output."""
    results = {}
    for task, vqa in (("polling", False), ("vqa", True)):
        key = "polling" if task == "polling" else "vqa"
        cases = [(k, prompt_ids(q["question"], vqa), answer_ids(q["answer"])[0])
                 for k, r in enumerate(records) for q in r[key]]
        correct = 0
        for s in range(0, len(cases), chunk):
            part = cases[s:s + chunk]
            got = next_tokens(model, images, [k for k, _, _ in part], [p for _, p, _ in part])
            correct += sum(g == a for g, (_, _, a) in zip(got, part))
        results[task] = {"correct": correct, "total": len(cases), "accuracy": correct / len(cases)}
    named, objects, exact, examples_out = 0, 0, 0, []
    prompt = prompt_ids(DESCRIBE[0], False)
    texts = []
    for s in range(0, len(records), chunk):
        texts += generate(model, images, list(range(s, min(s + chunk, len(records)))), prompt)
    for k, (r, text) in enumerate(zip(records, texts)):
        words = set(re.findall(r"[a-z]+", text))
        named += sum(obj["shape"] in words for obj in r["objects"])
        objects += len(r["objects"])
        exact += text == r["description"]
        if k < 8:
            examples_out.append({"image": r["file_name"], "expected": r["description"], "generated": text})
    results["description"] = {"objects_named": named, "objects": objects, "recall": named / objects,
                              "exact_match": exact / len(records), "examples": examples_out}
    return results


def write_checkpoint(model, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    gen = {"_from_model_config": True, "bos_token_id": o.BOS_ID, "eos_token_id": o.EOS_ID,
           "pad_token_id": o.PAD_ID, "transformers_version": "4.45.1"}
    pre = {"crop_size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE}, "do_center_crop": True, "do_convert_rgb": True,
           "do_normalize": True, "do_rescale": True, "do_resize": True,
           "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
           "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "LlavaProcessor", "resample": 3,
           "rescale_factor": 1 / 255, "size": {"shortest_edge": IMAGE_SIZE}}
    special = {"bos_token": o.special(o.BOS), "eos_token": o.special(o.EOS), "pad_token": o.special(o.PAD),
               "unk_token": o.special(o.UNK)}
    for name, content in (("generation_config.json", gen), ("preprocessor_config.json", pre),
                          ("tokenizer.json", o.tokenizer_json()), ("special_tokens_map.json", special),
                          ("tokenizer_config.json", o.tokenizer_config(2048))):
        with open(os.path.join(out, name), "w") as f:
            json.dump(content, f, indent=2, sort_keys=True, ensure_ascii=False)
            f.write("\n")
    o.save_safetensors(os.path.join(out, "model.safetensors"), model.state_dict(), {"format": "pt"})


REFERENCE_PROMPTS = [("description", DESCRIBE[0], False), ("polling", None, False), ("vqa", None, True)]


@torch.no_grad()
def write_reference(model, images, records, seed, out, scenes=(0, 1)):
    """For held-out scenes k: pixel_values.{k}, input_ids.{k}.{task} (placeholder once, BOS first) and
    logits.{k}.{task} at the last 12 positions, from the weights as written. The metadata names each scene's id
    and the scene set's seed, so a test can draw the same picture again, and the prompt texts."""
    tensors, prompts = {}, {}
    for k in scenes:
        r = records[k]
        px = pixels(images, [k])
        tensors[f"pixel_values.{k}"] = px
        for task, question, vqa in REFERENCE_PROMPTS:
            q = question or (r["polling"][0]["question"] if task == "polling" else r["vqa"][0]["question"])
            p = prompt_ids(q, vqa)
            ids = torch.tensor([expand(p)])
            logits = model(px, ids, torch.ones_like(ids))
            tensors[f"input_ids.{k}.{task}"] = torch.tensor(p, dtype=torch.long)
            tensors[f"logits.{k}.{task}"] = logits[0, -12:].float()
            prompts[f"{k}.{task}"] = TEMPLATE.format(q) + (VQA_CONTINUATION if vqa else "")
    meta = {"scenes": json.dumps({str(k): records[k]["image_id"] for k in scenes}), "prompts": json.dumps(prompts),
            "scene_seed": str(seed),
            "logit_positions": "the last 12 positions of the expanded sequence"}
    o.save_safetensors(out, tensors, meta)


def write_tokenizer_check(records, out):
    """Texts and the ids this trainer gives them (BOS first): every distinct prompt of the held-out set, the
    descriptions of its first scenes, and one multi-turn conversation as training sees it."""
    texts = []
    for r in records:
        texts += [TEMPLATE.format(p["question"]) for p in r["polling"]]
        texts += [TEMPLATE.format(v["question"]) + VQA_CONTINUATION for v in r["vqa"]]
    texts += [TEMPLATE.format(q) for q in DESCRIBE] + [r["description"] for r in records[:20]]
    ids, _ = conversation(records[0], random.Random(0), 4)
    texts.append(None)
    check = {t: o.encode(t) for t in dict.fromkeys(texts) if t is not None}
    check[o.decode_with_special(ids)] = ids
    with open(out, "w") as f:
        json.dump(check, f, indent=1, ensure_ascii=False)
        f.write("\n")


def export(args):
    torch.set_num_threads(1)
    model = load_model(args.work)
    write_checkpoint(model, args.out)
    # Everything below runs on the weights as written: the checkpoint is read back.
    model.load_state_dict(o.load_safetensors(os.path.join(args.out, "model.safetensors")))
    images, records = load_scene_set(args.heldout)
    with open(os.path.join(args.heldout, "questions.json")) as f:
        seed = json.load(f)["info"]["seed"]
    write_reference(model, images, records, seed, os.path.join(args.out, "..", "reference-logits.safetensors"))
    write_tokenizer_check(records, os.path.join(args.out, "..", "tokenizer-check.json"))
    if args.skip_eval:
        return
    t = time.time()
    results = evaluate(model, images, records)
    results["heldout"] = {"scenes": len(records), "dir": os.path.basename(os.path.normpath(args.heldout))}
    with open(os.path.join(args.out, "..", "heldout-accuracy.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "examples"} for k, v in results.items()}),
          f"({time.time() - t:.0f} s)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    stages = {"vision": train_vision, "train": train}
    for name, fn in stages.items():
        t = sub.add_parser(name, help=fn.__doc__.split(":")[0])
        t.add_argument("--train", required=True, help="scene set written by `vlmscope scenes`")
        t.add_argument("--work", required=True, help="folder for caches and states (the train stage reads vision.pt)")
        t.add_argument("--steps", type=int, required=True)
        t.add_argument("--batch", type=int, default=32)
        t.add_argument("--lr", type=float, default=2e-3)
        t.add_argument("--warmup", type=int, default=100)
        t.add_argument("--seed", type=int, default=1)
        t.add_argument("--log-every", type=int, default=25)
        t.add_argument("--save-every", type=int, default=200)
        t.add_argument("--position-weight", type=float, default=0.0,
                       help="weight of the position probe's loss (see PositionProbe); 0: no position probe")
        t.add_argument("--init", help="start from the weights this stage saved in an earlier run (vision.pt or "
                                      "state.pt); the optimiser and schedule start afresh")
        if name == "train":
            t.add_argument("--turns", type=int, default=1, help="questions per conversation")
            t.add_argument("--patch-weight", type=float, default=0.5, help="weight of the tied patch probe's loss")
            t.add_argument("--attention-weight", type=float, default=0.5,
                           help="weight of the supervised attention's loss (see attention_loss); 0: none")
            t.add_argument("--spatial-head", action="store_true",
                           help="supervise head 1 of the attention layer for place words (see attention_targets)")
            t.add_argument("--lm-width", type=int, default=64,
                           help="language model width (MLP 3x, 16-wide heads, see set_language_width)")
            t.add_argument("--resume", action="store_true")
    e = sub.add_parser("export")
    e.add_argument("--heldout", required=True)
    e.add_argument("--work", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--skip-eval", action="store_true")
    args = ap.parse_args()
    stages.get(args.cmd, export)(args)


if __name__ == "__main__":
    sys.exit(main())
