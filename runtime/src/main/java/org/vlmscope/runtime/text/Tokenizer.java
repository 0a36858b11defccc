package org.vlmscope.runtime.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.LibUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * A checkpoint's {@code tokenizer.json} run by Hugging Face's Rust tokenizers library (DJL's binding, the native
 * library bundled in its jar). This is the "fast" tokenizer that llava-hf's processor loads, so the ids are the
 * ones the model saw under transformers. Truncation and padding are off: a prompt is never cut to a maximum length
 * and a single prompt never gains pad ids. Special tokens (BOS for Llama) are added exactly as the file's
 * post-processor says.
 */
public final class Tokenizer implements AutoCloseable {
    public static final String FILE = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // DJL calls home on every tokenizer it creates (EC2 metadata, then a telemetry URL; up to several seconds
        // of connection timeouts off EC2) unless offline mode is on. vlmscope needs nothing from the network here,
        // so it turns offline mode on unless the user has chosen a value.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final Path file;
    private final HuggingFaceTokenizer hf;
    private final Map<String, Long> ids;
    private final Map<Long, String> tokens;

    private Tokenizer(Path file, HuggingFaceTokenizer hf, Map<String, Long> ids) {
        this.file = file;
        this.hf = hf;
        this.ids = ids;
        this.tokens = new HashMap<>();
        ids.forEach((token, id) -> tokens.put(id, token));
    }

    /** Loads {@code modelDir/tokenizer.json}: a checkpoint directory or a model directory written by export. */
    public static Tokenizer load(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new VlmscopeException(modelDir + " has no " + FILE + ": expected the checkpoint's Hugging Face "
                    + "tokenizer file there (the fast tokenizer's " + FILE + "; 'vlmscope export' copies it from "
                    + "the checkpoint, a slow-only tokenizer.model is not enough)");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, Long> vocabulary = vocabulary(file, bytes);
        try {
            LibUtils.checkStatus();
        } catch (RuntimeException e) {
            throw new VlmscopeException("cannot load the Hugging Face tokenizers native library that "
                    + "ai.djl.huggingface:tokenizers bundles (linux-x86_64, linux-aarch64, osx-aarch64, win-x86_64; "
                    + "this is " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + "): "
                    + rootMessage(e), e);
        }
        // DJL's defaults would truncate (longest-first, at 512 tokens) and pad; both must be off explicitly.
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        try {
            return new Tokenizer(file, HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options),
                    vocabulary);
        } catch (IOException | RuntimeException e) {
            throw new VlmscopeException(file + " is not a tokenizer the Hugging Face tokenizers library can load: "
                    + rootMessage(e), e);
        }
    }

    /** The ids of {@code text} with the special tokens the post-processor adds (BOS for Llama). */
    public long[] encode(String text) {
        return encode(text, true);
    }

    /** The ids of {@code text}; {@code addSpecialTokens=false} leaves out what the post-processor would add. */
    public long[] encode(String text, boolean addSpecialTokens) {
        return hf.encode(text, addSpecialTokens, false).getIds();
    }

    /** Text of {@code ids} through the file's decoder; special tokens (BOS, {@code <image>}) dropped on request. */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return hf.decode(ids, skipSpecialTokens);
    }

    /** The id of one vocabulary entry or added token, spelled as in the file (Llama: {@code ▁Yes}, {@code <image>}). */
    public long tokenId(String token) {
        Long id = ids.get(token);
        if (id == null) {
            throw new VlmscopeException("'" + token + "' is not a token of " + file + " (SentencePiece vocabularies "
                    + "spell a leading space as \u2581)");
        }
        return id;
    }

    /** Whether the file spells {@code id} (a model's embedding may have more rows than its tokenizer has tokens). */
    public boolean hasToken(long id) {
        return tokens.containsKey(id);
    }

    /** The vocabulary entry or added token with this id, spelled as in the file. */
    public String token(long id) {
        String token = tokens.get(id);
        if (token == null) {
            throw new VlmscopeException("id " + id + " is not a token of " + file + " (it holds " + ids.size()
                    + " tokens; a model's embedding may have more rows than its tokenizer has tokens)");
        }
        return token;
    }

    @Override
    public void close() {
        hf.close();
    }

    /**
     * Token-to-id map of the file: the model's vocabulary (an object for BPE, WordPiece and WordLevel, a list of
     * [piece, score] pairs indexed by id for Unigram) and the added tokens, which take precedence. The Rust library
     * has the same map but DJL does not expose it.
     */
    private static Map<String, Long> vocabulary(Path file, byte[] bytes) {
        JsonNode root = JsonErrors.parse(JSON, file, bytes);
        JsonNode vocab = root.path("model").path("vocab");
        Map<String, Long> out = new HashMap<>();
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), e.getValue().asLong());
            }
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                out.put(vocab.get(i).path(0).asText(), (long) i);
            }
        } else {
            throw new VlmscopeException(file + " has no model.vocab: expected a Hugging Face tokenizer.json");
        }
        for (JsonNode added : root.path("added_tokens")) {
            out.put(added.path("content").asText(), added.path("id").asLong());
        }
        return out;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
