package org.vlmscope.runtime.input;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.run.ImageTokens;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.family.RuntimeFamilies;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.RgbImage;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Prompts;
import org.vlmscope.runtime.text.Sequence;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * A model's input prepared from what a user gives (an {@link InputRequest}): a question rendered into the model's
 * chat template, or a verbatim prompt, both tokenized with the model directory's tokenizer.json, or prepared ids
 * from an inputs file; the image decoded and preprocessed as the checkpoint's CLIPImageProcessor does, or the
 * pixel_values of the inputs file. The CLI's {@code run} and {@code attribute} and the experiments share it.
 */
public final class ModelInput {
    static final String INPUT_IDS = GraphNames.INPUT_IDS;
    static final String PIXEL_VALUES = GraphNames.PIXEL_VALUES;
    /** Copied into the model directory by export, next to the graphs. */
    public static final String PREPROCESSOR_CONFIG = ClipImageProcessor.CONFIG_FILE;

    private ModelInput() {
    }

    /**
     * The model input of one run: {@code ids} one row per batch entry, as the runtime takes them;
     * {@code pixelValues} null for a text-only prompt; {@code length} the sequence once the image placeholder is
     * expanded; {@code tokenizer} the model's, open for decoding answers, when the prompt was text (else null);
     * {@code metadata} what a dump records about the input; {@code summary} one line saying what runs;
     * {@code visualPositions} where the first row's visual tokens sit in the expanded sequence (empty for text).
     */
    public record Prepared(long[][] ids, NamedTensor pixelValues, int length, Tokenizer tokenizer,
                    Map<String, String> metadata, String summary, int[] visualPositions) implements AutoCloseable {
        @Override
        public void close() {
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }

    /** What an inputs file holds, checked: ids one row per batch entry, pixels null when the file has none. */
    public record Inputs(long[][] ids, NamedTensor pixelValues) {
    }

    /**
     * Reads the image and the ids for a model. What is cheap to check comes first: an inputs file before the
     * image, the image before the tokenizer (and before the caller opens a session).
     */
    public static Prepared prepare(Path modelDir, ModelManifest m, InputRequest request) {
        Map<String, String> meta = new LinkedHashMap<>();
        Path image = request.image();
        if (request.inputs() != null) {
            Inputs in = readInputs(request.inputs());
            if (image != null) {
                checkIdsForImage(in, m, request);
            }
            NamedTensor pixels = image != null ? image(modelDir, m, image, meta) : in.pixelValues();
            meta.put("inputs", absolute(request.inputs()));
            return prepared(in.ids(), pixels, null, m, meta, "ids from " + request.inputs());
        }
        NamedTensor pixels = image != null ? image(modelDir, m, image, meta) : null;
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        try {
            String text;
            long[] ids;
            String question = request.question();
            meta.put("prompt", question != null ? question : request.rawPrompt());
            if (question != null) {
                Variant variant = request.variant();
                Fidelity f = request.fidelity();
                PromptTemplate template = RuntimeFamilies.of(m).promptTemplate(m, variant, f);
                text = template.render(question);
                ids = Prompts.build(tokenizer, template, question, m).ids();
                meta.put("prompt_template", template.family() + " " + lower(variant) + " " + lower(f));
            } else {
                text = request.rawPrompt();
                ids = tokenizer.encode(text);
                if (image != null) {
                    ModelManifest.Dims d = m.dims();
                    ids = Sequence.expand(ids, m.imageTokenId(), d.visualTokens(), d.gridSize()).ids();
                }
                meta.put("prompt_template", "raw");
            }
            meta.put("prompt_rendered", text);
            return prepared(new long[][] {ids}, pixels, tokenizer, m, meta, "prompt " + PromptTemplate.quote(text));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static NamedTensor image(Path modelDir, ModelManifest m, Path image, Map<String, String> meta) {
        NamedTensor pixels = pixelValues(modelDir, m, image);
        meta.put("image", absolute(image));
        return pixels;
    }

    /**
     * The image as the checkpoint's processor hands it to the model: decoded as PIL's {@code convert("RGB")} does
     * (a header claiming more than {@link ImageDecoder#DEFAULT_MAX_PIXELS} pixels is refused before decoding),
     * then CLIPImageProcessor with the model directory's {@value #PREPROCESSOR_CONFIG}.
     */
    public static NamedTensor pixelValues(Path modelDir, Path image) {
        return pixelValues(modelDir, ModelManifest.read(modelDir), image);
    }

    /** As {@link #pixelValues(Path, Path)} with the model's manifest already read. */
    public static NamedTensor pixelValues(Path modelDir, ModelManifest m, Path image) {
        var processor = RuntimeFamilies.of(m).imageProcessor(modelDir);
        RgbImage decoded = ImageDecoder.read(image);
        try {
            return processor.pixelValues(decoded);
        } catch (VlmscopeException e) {
            // The processor knows its config, not the file: an image it refuses (an extreme aspect ratio) is named.
            throw new VlmscopeException(image + ": " + e.getMessage(), e);
        }
    }

    /** Adds the positions of the expanded sequence (first row) to the metadata and builds the summary line. */
    private static Prepared prepared(long[][] ids, NamedTensor pixels, Tokenizer tokenizer, ModelManifest m,
                                     Map<String, String> meta, String source) {
        long[] expanded = ImageTokens.expand(ids[0], m.imageTokenId(), m.dims().visualTokens());
        int visual = ImageTokens.count(expanded, m.imageTokenId());
        meta.put("sequence_length", Integer.toString(expanded.length));
        String where = "text only";
        if (visual > 0) {
            int start = 0;
            while (expanded[start] != m.imageTokenId()) {
                start++;
            }
            meta.put("visual_start", Integer.toString(start));
            meta.put("visual_tokens", Integer.toString(visual));
            where = "visual tokens " + start + "-" + (start + visual - 1) + " from "
                    + (meta.containsKey("image") ? meta.get("image") : PIXEL_VALUES);
        }
        int[] visualPositions = java.util.stream.IntStream.range(0, expanded.length)
                .filter(p -> expanded[p] == m.imageTokenId()).toArray();
        return new Prepared(ids, pixels, expanded.length, tokenizer, meta,
                "input: " + expanded.length + " positions, " + where + "; " + source, visualPositions);
    }

    /** --image with --inputs: the file brings the ids, the image the pixels; each must be given once. */
    private static void checkIdsForImage(Inputs in, ModelManifest m, InputRequest request) {
        Path image = request.image();
        Path inputs = request.inputs();
        if (in.pixelValues() != null) {
            throw new BadArgumentException("--image " + image + " and the " + PIXEL_VALUES + " in " + inputs
                    + " both give the image; drop one");
        }
        if (in.ids().length != 1) {
            throw new VlmscopeException("--image gives one image, but " + inputs + " holds " + in.ids().length
                    + " rows of " + INPUT_IDS + ": give one row, or " + PIXEL_VALUES + " for every row in the file");
        }
        if (ImageTokens.count(in.ids()[0], m.imageTokenId()) == 0) {
            throw new VlmscopeException("--image gives an image, but " + INPUT_IDS + " in " + inputs + " hold no "
                    + "image token (id " + m.imageTokenId() + ") to say where it goes");
        }
    }

    /** Reads and checks an inputs file; each error names the tensor and what was expected of it. */
    public static Inputs readInputs(Path file) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            if (!st.contains(INPUT_IDS)) {
                throw new VlmscopeException(file + " has no tensor '" + INPUT_IDS + "' (expected I64 or I32 [S] or "
                        + "[B,S]); it holds " + st.names());
            }
            TensorInfo ids = st.info(INPUT_IDS);
            long[] s = ids.shape();
            if (ids.dtype() != DType.I64 && ids.dtype() != DType.I32) {
                throw new VlmscopeException("tensor '" + INPUT_IDS + "' in " + file + " has dtype " + ids.dtype()
                        + "; expected I64 or I32");
            }
            if ((s.length != 1 && s.length != 2) || s[s.length - 1] == 0 || (s.length == 2 && s[0] == 0)) {
                throw new VlmscopeException("tensor '" + INPUT_IDS + "' in " + file + " has shape "
                        + Arrays.toString(s) + "; expected [S] or [B,S] with B, S > 0");
            }
            int batch = s.length == 1 ? 1 : (int) s[0];
            int len = (int) s[s.length - 1];
            long[] flat = st.toLongArray(INPUT_IDS);
            long[][] rows = new long[batch][];
            for (int b = 0; b < batch; b++) {
                rows[b] = Arrays.copyOfRange(flat, b * len, (b + 1) * len);
            }
            return new Inputs(rows, st.contains(PIXEL_VALUES) ? filePixels(st, batch) : null);
        }
    }

    private static NamedTensor filePixels(SafetensorsFile st, int batch) {
        TensorInfo px = st.info(PIXEL_VALUES);
        long[] s = px.shape();
        if (px.dtype() != DType.F32 || s.length != 4 || s[0] != batch || s[1] != 3) {
            throw new VlmscopeException("tensor '" + PIXEL_VALUES + "' in " + st.path() + " is " + px.dtype() + " "
                    + Arrays.toString(s) + "; expected F32 [" + batch + ",3,H,W] (one image per input_ids row)");
        }
        return NamedTensor.ofFloats(PIXEL_VALUES, s, st.toFloatArray(PIXEL_VALUES));
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
