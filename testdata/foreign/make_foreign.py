#!/usr/bin/python3
"""Makes the foreign-export test data in this folder (see README.md). Run with Debian's python3-torch 1.13:

    /usr/bin/python3 testdata/foreign/make_foreign.py

Small Llama and Phi-3 language models are written in plain PyTorch with Hugging Face's module names and the
arithmetic of transformers 4.45 (LlamaForCausalLM, Phi3ForCausalLM, eager attention), exported with
torch.onnx.export, and saved a second time as a tiny LlavaForConditionalGeneration checkpoint (the same language
model weights plus a small random CLIP vision tower and projector) that vlmscope's own exporter reads. Reference
tensors for one fixed input come from the same PyTorch modules. Before writing anything, the modules are loaded
with the weights of the golden fixtures (made with transformers itself) and must reproduce their residual
streams and logits: that is what makes these modules a faithful stand-in for transformers, which is not
installed here.
"""
import json
import math
import os
import struct

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")
SEED = 20261130


# ---- the language model, module by module as transformers 4.45 names and computes it ---------------------------

class RMSNorm(nn.Module):
    """LlamaRMSNorm / Phi3RMSNorm: float32 statistics, weight applied after casting back."""

    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(dtype)


class Rotary(nn.Module):
    """LlamaRotaryEmbedding (default rope): cos and sin [batch, seq, head_dim]."""

    def __init__(self, head_dim, theta):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x, position_ids):
        inv = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        pos = position_ids[:, None, :].float()
        freqs = (inv @ pos).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x, n):
    if n == 1:
        return x
    b, h, s, d = x.shape
    return x[:, :, None, :, :].expand(b, h, n, s, d).reshape(b, h * n, s, d)


class Attention(nn.Module):
    """LlamaAttention (q/k/v_proj; Qwen2 with biases on them) or Phi3Attention (fused qkv_proj), eager: scores +
    mask, float32 softmax. With a cache, keys and values (after rotary) are appended to the past ones."""

    def __init__(self, cfg, fused):
        super().__init__()
        d, self.heads, self.kv, self.hd = cfg["hidden"], cfg["heads"], cfg["kv_heads"], cfg["hidden"] // cfg["heads"]
        self.fused = fused
        if fused:
            self.qkv_proj = nn.Linear(d, (self.heads + 2 * self.kv) * self.hd, bias=False)
        else:
            bias = cfg.get("qkv_bias", False)
            self.q_proj = nn.Linear(d, self.heads * self.hd, bias=bias)
            self.k_proj = nn.Linear(d, self.kv * self.hd, bias=bias)
            self.v_proj = nn.Linear(d, self.kv * self.hd, bias=bias)
        self.o_proj = nn.Linear(self.heads * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask, bias=None, record=None, past=None, presents=None):
        b, s, _ = x.size()
        if self.fused:
            qkv = self.qkv_proj(x)
            q_end, k_end = self.heads * self.hd, (self.heads + self.kv) * self.hd
            q, k, v = qkv[..., :q_end], qkv[..., q_end:k_end], qkv[..., k_end:]
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q = q.view(b, s, self.heads, self.hd).transpose(1, 2)
        k = k.view(b, s, self.kv, self.hd).transpose(1, 2)
        v = v.view(b, s, self.kv, self.hd).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        if presents is not None:
            presents.append((k, v))
        k = repeat_kv(k, self.heads // self.kv)
        v = repeat_kv(v, self.heads // self.kv)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd)
        scores = scores + mask
        if bias is not None:
            scores = scores + bias
        pattern = nn.functional.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        if record is not None:
            record.append(pattern)
        z = torch.matmul(pattern, v).transpose(1, 2).contiguous().reshape(b, s, -1)
        return self.o_proj(z)


class Mlp(nn.Module):
    """LlamaMLP (gate_proj, up_proj) or Phi3MLP (fused gate_up_proj), SiLU."""

    def __init__(self, cfg, fused):
        super().__init__()
        d, ff = cfg["hidden"], cfg["ff"]
        self.fused = fused
        if fused:
            self.gate_up_proj = nn.Linear(d, 2 * ff, bias=False)
        else:
            self.gate_proj = nn.Linear(d, ff, bias=False)
            self.up_proj = nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        if self.fused:
            gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
            return self.down_proj(up * nn.functional.silu(gate))
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg, fused):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg["hidden"], cfg["eps"])
        self.self_attn = Attention(cfg, fused)
        self.post_attention_layernorm = RMSNorm(cfg["hidden"], cfg["eps"])
        self.mlp = Mlp(cfg, fused)

    def forward(self, x, cos, sin, mask, bias=None, record=None, past=None, presents=None):
        residual = x
        x = residual + self.self_attn(self.input_layernorm(x), cos, sin, mask, bias, record, past, presents)
        residual = x
        return residual + self.mlp(self.post_attention_layernorm(x))


class DecoderModel(nn.Module):
    """LlamaModel / Phi3Model / Qwen2Model: positions past..past+seq-1, causal mask over past + new keys with
    padding (attention_mask covers past and new positions)."""

    def __init__(self, cfg, fused):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab"], cfg["hidden"])
        self.layers = nn.ModuleList([DecoderLayer(cfg, fused) for _ in range(cfg["layers"])])
        self.norm = RMSNorm(cfg["hidden"], cfg["eps"])
        self.rotary_emb = Rotary(cfg["hidden"] // cfg["heads"], cfg["rope_theta"])

    def forward(self, inputs_embeds, attention_mask, biases=None, states=None, patterns=None, past=None,
                presents=None):
        b, s, _ = inputs_embeds.shape
        start = 0 if past is None else past[0][0].shape[2]
        positions = torch.arange(start, start + s, dtype=torch.int64)
        keys = torch.arange(start + s, dtype=torch.int64)
        position_ids = positions.unsqueeze(0).expand(b, s)
        allowed = (keys.view(1, -1) <= positions.view(s, 1))[None, None, :, :] \
            & attention_mask[:, None, None, :].bool()
        lowest = torch.finfo(inputs_embeds.dtype).min
        mask = torch.where(allowed, torch.tensor(0.0), torch.tensor(lowest))
        cos, sin = self.rotary_emb(inputs_embeds, position_ids)
        x = inputs_embeds
        for i, layer in enumerate(self.layers):
            if states is not None:
                states.append(x)
            x = layer(x, cos, sin, mask, None if biases is None else biases.get(i), patterns,
                      None if past is None else past[i], presents)
        if states is not None:
            states.append(x)
        return self.norm(x)


class CausalLM(nn.Module):
    """LlamaForCausalLM / Phi3ForCausalLM / Qwen2ForCausalLM: input_ids, attention_mask and optionally the past keys
    and values of every layer in; logits (and the present keys and values) out. This is what gets exported."""

    def __init__(self, cfg, fused):
        super().__init__()
        self.model = DecoderModel(cfg, fused)
        self.lm_head = nn.Linear(cfg["hidden"], cfg["vocab"], bias=False)

    def forward(self, input_ids, attention_mask, *past):
        if not past:
            return self.lm_head(self.model(self.model.embed_tokens(input_ids), attention_mask))
        pairs = [(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)]
        presents = []
        logits = self.lm_head(self.model(self.model.embed_tokens(input_ids), attention_mask, past=pairs,
                                         presents=presents))
        return (logits,) + tuple(t for kv in presents for t in kv)


# ---- safetensors, read and written with the standard layout ----------------------------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    names = sorted(tensors)
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in names:
        a = np.ascontiguousarray(tensors[name])
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[a.dtype]
        blob = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ---- check the modules against transformers' own numbers (the golden fixtures) ---------------------------------

def check_against_golden(fixture, cfg, fused):
    weights = read_safetensors(os.path.join(GOLDEN, fixture, "model", "model.safetensors"))
    expected = read_safetensors(os.path.join(GOLDEN, fixture, "expected.safetensors"))
    lm = CausalLM(cfg, fused).eval()
    prefix = "language_model."
    lm.load_state_dict({k[len(prefix):]: torch.from_numpy(v) for k, v in weights.items() if k.startswith(prefix)})
    embeds = torch.from_numpy(expected["lm.inputs_embeds"])[None]
    states = []
    with torch.no_grad():
        logits = lm.lm_head(lm.model(embeds, torch.ones(1, embeds.shape[1], dtype=torch.int64), states=states))
    layer_diff = max(float((states[i + 1][0] - torch.from_numpy(expected["lm.layer_outputs"][i])).abs().max())
                     for i in range(cfg["layers"]))
    logit_diff = float((logits[0] - torch.from_numpy(expected["logits"])).abs().max())
    print(f"{fixture}: max |layer output - HF| = {layer_diff:.2e}, max |logits - HF| = {logit_diff:.2e}")
    assert layer_diff < 1e-4 and logit_diff < 2e-4, "the PyTorch modules do not reproduce transformers"


GOLDEN_LLAMA = dict(vocab=1024, hidden=64, heads=4, kv_heads=2, ff=128, layers=4, eps=1e-5, rope_theta=10000.0)
GOLDEN_PHI3 = dict(vocab=1050, hidden=64, heads=4, kv_heads=4, ff=112, layers=3, eps=1e-5, rope_theta=10000.0)

# ---- the test models --------------------------------------------------------------------------------------------

LLAMA = dict(name="llama", model_type="llama", fused=False, opset=17, vocab=256, hidden=32, heads=4, kv_heads=2,
             ff=64, layers=4, eps=1e-5, rope_theta=10000.0)
PHI3 = dict(name="phi3", model_type="phi3", fused=True, opset=14, vocab=260, hidden=32, heads=4, kv_heads=4,
            ff=48, layers=3, eps=1e-5, rope_theta=10000.0)
# Qwen2: biases on q/k/v, exported with a KV cache (past keys and values in, present ones out) as optimum's
# decoder-with-past graphs are; the first PAST tokens of INPUT_IDS make the cache, the rest are the new tokens.
QWEN2 = dict(name="qwen2", model_type="qwen2", fused=False, qkv_bias=True, opset=16, vocab=240, hidden=32, heads=4,
             kv_heads=2, ff=64, layers=3, eps=1e-6, rope_theta=1000000.0)
PAST = 8
VISION = dict(hidden=16, ff=32, layers=2, heads=2, image=336, patch=14)
INPUT_IDS = [1, 5, 9, 100, 37, 200, 12, 77, 3, 150, 64, 31]
# Knockout: the last query position may not attend keys 2-5 in layers 1 and 2 (-inf before softmax).
KNOCKOUT_QUERY, KNOCKOUT_KEYS, KNOCKOUT_LAYERS = len(INPUT_IDS) - 1, [2, 3, 4, 5], [1, 2]


def randomize(module, generator):
    """Weights of magnitude 0.15 (norm weights around 1), large enough that attention is far from uniform."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            p.copy_(1.0 + 0.1 * noise if name.endswith("layernorm.weight") or name == "model.norm.weight"
                    else 0.15 * noise)


def references(lm, cfg):
    ids = torch.tensor([INPUT_IDS])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        embeds = lm.model.embed_tokens(ids)
        states, patterns = [], []
        logits = lm.lm_head(lm.model(embeds, mask, states=states, patterns=patterns))
        lens = torch.stack([lm.lm_head(lm.model.norm(h)) for h in states])
        s = len(INPUT_IDS)
        bias = torch.zeros(1, 1, s, s)
        bias[0, 0, KNOCKOUT_QUERY, KNOCKOUT_KEYS] = float("-inf")
        knocked = lm.lm_head(lm.model(embeds, mask, biases={i: bias for i in KNOCKOUT_LAYERS}))
    return {
        "input_ids": ids.numpy(),
        "attention_mask": mask.numpy(),
        "inputs_embeds": embeds.numpy(),
        "hidden_states": torch.stack(states).numpy(),
        "attn_patterns": torch.stack(patterns).numpy(),
        "logits": logits.numpy(),
        "lens_logits": lens.numpy(),
        "knockout.attn_bias": bias.numpy(),
        "knockout.logits": knocked.numpy(),
    }


def export_onnx(lm, cfg, path):
    ids = torch.tensor([INPUT_IDS])
    torch.onnx.export(lm, (ids, torch.ones_like(ids)), path, opset_version=cfg["opset"],
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                    "attention_mask": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch", 1: "sequence"}},
                      do_constant_folding=True)


def llava_checkpoint(lm, cfg, generator, folder):
    """The same language model as a LlavaForConditionalGeneration checkpoint (transformers 4.45 key layout)."""
    os.makedirs(folder, exist_ok=True)
    tensors = {"language_model." + k: v.detach().numpy() for k, v in lm.state_dict().items()}
    v, d = VISION, cfg["hidden"]

    def rand(*shape):
        return (0.05 * torch.randn(shape, generator=generator)).numpy()

    vt = "vision_tower.vision_model."
    tensors[vt + "embeddings.class_embedding"] = rand(v["hidden"])
    tensors[vt + "embeddings.patch_embedding.weight"] = rand(v["hidden"], 3, v["patch"], v["patch"])
    tensors[vt + "embeddings.position_embedding.weight"] = rand((v["image"] // v["patch"]) ** 2 + 1, v["hidden"])
    for norm in ("pre_layrnorm", "post_layernorm"):
        tensors[vt + norm + ".weight"] = 1.0 + rand(v["hidden"])
        tensors[vt + norm + ".bias"] = rand(v["hidden"])
    for i in range(v["layers"]):
        layer = f"{vt}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            tensors[layer + "self_attn." + proj + ".weight"] = rand(v["hidden"], v["hidden"])
            tensors[layer + "self_attn." + proj + ".bias"] = rand(v["hidden"])
        for norm in ("layer_norm1", "layer_norm2"):
            tensors[layer + norm + ".weight"] = 1.0 + rand(v["hidden"])
            tensors[layer + norm + ".bias"] = rand(v["hidden"])
        tensors[layer + "mlp.fc1.weight"] = rand(v["ff"], v["hidden"])
        tensors[layer + "mlp.fc1.bias"] = rand(v["ff"])
        tensors[layer + "mlp.fc2.weight"] = rand(v["hidden"], v["ff"])
        tensors[layer + "mlp.fc2.bias"] = rand(v["hidden"])
    tensors["multi_modal_projector.linear_1.weight"] = rand(d, v["hidden"])
    tensors["multi_modal_projector.linear_1.bias"] = rand(d)
    tensors["multi_modal_projector.linear_2.weight"] = rand(d, d)
    tensors["multi_modal_projector.linear_2.bias"] = rand(d)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    special = cfg["vocab"] - 4
    config = {
        "architectures": ["LlavaForConditionalGeneration"],
        "image_token_index": special + 1,
        "model_type": "llava",
        "pad_token_id": special,
        "text_config": {
            "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": special,
            "hidden_size": d, "intermediate_size": cfg["ff"], "model_type": cfg["model_type"],
            "num_attention_heads": cfg["heads"], "num_hidden_layers": cfg["layers"],
            "num_key_value_heads": cfg["kv_heads"], "rms_norm_eps": cfg["eps"], "rope_theta": cfg["rope_theta"],
            "vocab_size": cfg["vocab"],
        },
        "torch_dtype": "float32",
        "transformers_version": "4.45.1",
        "vision_config": {
            "hidden_size": v["hidden"], "image_size": v["image"], "intermediate_size": v["ff"],
            "model_type": "clip_vision_model", "num_attention_heads": v["heads"], "num_hidden_layers": v["layers"],
            "patch_size": v["patch"], "projection_dim": v["hidden"],
        },
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def export_with_cache(lm, cfg, folder):
    """The graph with past keys and values, and the reference cache of the first PAST tokens (fed as they are)."""
    ids = torch.tensor([INPUT_IDS])
    presents = []
    with torch.no_grad():
        lm.model(lm.model.embed_tokens(ids[:, :PAST]), torch.ones(1, PAST, dtype=torch.int64), presents=presents)
    past_names = [f"past_key_values.{i}.{kv}" for i in range(cfg["layers"]) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(cfg["layers"]) for kv in ("key", "value")]
    past = [t for kv in presents for t in kv]
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total_sequence"},
            "logits": {0: "batch", 1: "sequence"}}
    axes.update({n: {0: "batch", 2: "past_sequence"} for n in past_names})
    axes.update({n: {0: "batch", 2: "total_sequence"} for n in present_names})
    torch.onnx.export(lm, (ids[:, PAST:], torch.ones_like(ids), *past), os.path.join(folder, "model.onnx"),
                      opset_version=cfg["opset"], input_names=["input_ids", "attention_mask"] + past_names,
                      output_names=["logits"] + present_names, dynamic_axes=axes, do_constant_folding=True)
    return {name: t.numpy() for name, t in zip(past_names, past)}


class TinyCnn(nn.Module):
    """A vision CNN with residual Adds and no attention: a graph the decoder locator must refuse."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                                   nn.Conv2d(8, 8, 3, padding=1)) for _ in range(2)])
        self.head = nn.Linear(8, 10)

    def forward(self, pixel_values):
        x = torch.relu(self.stem(pixel_values))
        for block in self.blocks:
            x = torch.relu(x + block(x))
        return self.head(x.mean(dim=(2, 3)))


def main():
    check_against_golden("llava-tiny", GOLDEN_LLAMA, fused=False)
    check_against_golden("llava-phi3-dev", GOLDEN_PHI3, fused=True)
    generator = torch.Generator().manual_seed(SEED)
    for cfg in (LLAMA, PHI3):
        lm = CausalLM(cfg, cfg["fused"]).eval()
        randomize(lm, generator)
        folder = os.path.join(HERE, cfg["name"])
        os.makedirs(folder, exist_ok=True)
        export_onnx(lm, cfg, os.path.join(folder, "model.onnx"))
        write_safetensors(os.path.join(folder, "reference.safetensors"), references(lm, cfg))
        llava_checkpoint(lm, cfg, generator, os.path.join(folder, "llava"))
    cnn = TinyCnn().eval()
    torch.onnx.export(cnn, (torch.randn(1, 3, 16, 16, generator=generator),), os.path.join(HERE, "cnn.onnx"),
                      opset_version=17, input_names=["pixel_values"], output_names=["logits"])
    qwen2 = CausalLM(QWEN2, False).eval()
    randomize(qwen2, generator)
    folder = os.path.join(HERE, QWEN2["name"])
    os.makedirs(folder, exist_ok=True)
    cache = export_with_cache(qwen2, QWEN2, folder)
    write_safetensors(os.path.join(folder, "reference.safetensors"), {**references(qwen2, QWEN2), **cache})
    print("wrote", HERE)


if __name__ == "__main__":
    torch.manual_seed(SEED)
    main()
