package org.vlmscope.runtime.input;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import org.vlmscope.runtime.family.RuntimeFamily;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.image.VisionInput;
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
    static final String POSITION_IDS = GraphNames.POSITION_IDS;
    /** Hugging Face's name for the patch grid of each image (Qwen2-VL's processor output). */
    static final String IMAGE_GRID_THW = "image_grid_thw";
    /** Copied into the model directory by export, next to the graphs. */
    public static final String PREPROCESSOR_CONFIG = ClipImageProcessor.CONFIG_FILE;

    private ModelInput() {
    }

    /**
     * The model input of one run: {@code ids} one row per batch entry, as the runtime takes them;
     * {@code vision} the images (pixel values, and each image's grid where the family's grid depends on the
     * image), null for a text-only prompt; {@code length} the sequence once the image placeholder is
     * expanded; {@code tokenizer} the model's, open for decoding answers, when the prompt was text (else null);
     * {@code metadata} what a dump records about the input; {@code summary} one line saying what runs;
     * {@code visualPositions} where the first row's visual tokens sit in the expanded sequence (empty for text);
     * {@code grid} the visual-token grid of the first row's first image (null for text), rows x cols, on which
     * visual token k sits in cell (k / cols, k % cols).
     */
    public record Prepared(long[][] ids, VisionInput vision, int length, Tokenizer tokenizer,
                    Map<String, String> metadata, String summary, int[] visualPositions, TokenGrid grid)
            implements AutoCloseable {
        @Override
        public void close() {
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }

    /**
     * What an inputs file holds, checked: ids one row per batch entry, the images null when the file has none,
     * the prepared position_ids (as Hugging Face's processor and get_rope_index made them) null when it has none.
     */
    public record Inputs(long[][] ids, VisionInput vision, NamedTensor positionIds) {
    }

    /**
     * Reads the images and the ids for a model. What is cheap to check comes first: an inputs file before the
     * images, the images before the tokenizer (and before the caller opens a session).
     */
    public static Prepared prepare(Path modelDir, ModelManifest m, InputRequest request) {
        Map<String, String> meta = new LinkedHashMap<>();
        List<Path> images = request.images();
        if (request.inputs() != null) {
            Inputs in = readInputs(request.inputs());
            if (!images.isEmpty()) {
                checkIdsForImage(in, m, request);
            }
            VisionInput pixels = !images.isEmpty() ? images(modelDir, m, images, meta) : in.vision();
            if (in.positionIds() != null) {
                checkPositionIds(request.inputs(), in, pixels, m);
            }
            meta.put("inputs", absolute(request.inputs()));
            return prepared(in.ids(), pixels, null, m, meta, "ids from " + request.inputs());
        }
        VisionInput pixels = !images.isEmpty() ? images(modelDir, m, images, meta) : null;
        RuntimeFamily family = RuntimeFamilies.of(m);
        List<TokenGrid> grids = family.tokenGrids(m, pixels);
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        try {
            String text;
            long[] ids;
            String question = request.question();
            meta.put("prompt", question != null ? question : request.rawPrompt());
            if (question != null) {
                Variant variant = request.variant();
                Fidelity f = request.fidelity();
                PromptTemplate template = family.promptTemplate(modelDir, m, variant, f, Math.max(1, grids.size()));
                text = template.render(question);
                ids = pixels == null ? Prompts.build(tokenizer, template, question, m).ids()
                        : Prompts.build(tokenizer, template, question, m.imageTokenId(), grids).ids();
                meta.put("prompt_template", template.family() + " " + lower(variant) + " " + lower(f));
            } else {
                text = request.rawPrompt();
                ids = tokenizer.encode(text);
                if (pixels != null) {
                    ids = Sequence.expand(ids, m.imageTokenId(), grids).ids();
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

    /**
     * The images of one prompt, preprocessed and, for a family whose images each bring their grid, concatenated
     * along their pixel rows in order (one vision call); a fixed-grid family (LLaVA: [batch, 3, H, W], one image per
     * prompt row) takes one.
     */
    private static VisionInput images(Path modelDir, ModelManifest m, List<Path> images, Map<String, String> meta) {
        List<VisionInput> each = new ArrayList<>();
        for (Path image : images) {
            each.add(vision(modelDir, m, image));
            if (each.size() > 1 && !each.get(0).variableGrid()) {
                throw new VlmscopeException("a " + m.family() + " prompt holds one image (pixel_values [batch, 3, H, "
                        + "W], one per prompt row); got " + images.size() + " images for one prompt");
            }
        }
        meta.put("image", String.join(File.pathSeparator, images.stream().map(ModelInput::absolute).toList()));
        return VisionInput.concat(each);
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
        return vision(modelDir, m, image).pixelValues();
    }

    /**
     * The image as the model's family preprocesses it: its pixel values and, where each image has its own grid
     * (Qwen2-VL), that grid.
     */
    public static VisionInput vision(Path modelDir, ModelManifest m, Path image) {
        var processor = RuntimeFamilies.of(m).imageProcessor(modelDir);
        RgbImage decoded = ImageDecoder.read(image);
        try {
            return processor.vision(decoded);
        } catch (VlmscopeException e) {
            // The processor knows its config, not the file: an image it refuses (an extreme aspect ratio) is named.
            throw new VlmscopeException(image + ": " + e.getMessage(), e);
        }
    }

    /** Adds the positions of the expanded sequence (first row) to the metadata and builds the summary line. */
    private static Prepared prepared(long[][] ids, VisionInput pixels, Tokenizer tokenizer, ModelManifest m,
                                     Map<String, String> meta, String source) {
        long[] expanded = RuntimeFamilies.of(m).expandImages(m, ids, pixels)[0];
        int[] visualPositions = java.util.stream.IntStream.range(0, expanded.length)
                .filter(p -> expanded[p] == m.imageTokenId()).toArray();
        meta.put("sequence_length", Integer.toString(expanded.length));
        String where = "text only";
        if (visualPositions.length > 0) {
            meta.put("visual_start", Integer.toString(visualPositions[0]));
            meta.put("visual_tokens", Integer.toString(visualPositions.length));
            where = visualRuns(visualPositions, meta.containsKey("image")
                    ? List.of(meta.get("image").split(File.pathSeparator)) : List.of());
        }
        List<TokenGrid> grids = RuntimeFamilies.of(m).tokenGrids(m, pixels);
        return new Prepared(ids, pixels, expanded.length, tokenizer, meta,
                "input: " + expanded.length + " positions, " + where + "; " + source, visualPositions,
                visualPositions.length > 0 && !grids.isEmpty() ? grids.get(0) : null);
    }

    /**
     * "visual tokens 7-54 from a.png, 60-101 from b.png": the runs of consecutive positions, one per image, each
     * named by its file when the images came as files, else all by {@value #PIXEL_VALUES}.
     */
    private static String visualRuns(int[] positions, List<String> files) {
        List<int[]> runs = new ArrayList<>();
        for (int p : positions) {
            if (runs.isEmpty() || runs.get(runs.size() - 1)[1] != p - 1) {
                runs.add(new int[] {p, p});
            } else {
                runs.get(runs.size() - 1)[1] = p;
            }
        }
        boolean named = files.size() == runs.size();
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            parts.add(runs.get(i)[0] + "-" + runs.get(i)[1] + (named ? " from " + files.get(i) : ""));
        }
        return "visual tokens " + String.join(", ", parts) + (named ? "" : " from " + PIXEL_VALUES);
    }

    /** --image with --inputs: the file brings the ids, the images the pixels; each must be given once. */
    private static void checkIdsForImage(Inputs in, ModelManifest m, InputRequest request) {
        Path image = request.images().get(0);
        Path inputs = request.inputs();
        if (in.vision() != null) {
            throw new BadArgumentException("--image " + image + " and the " + PIXEL_VALUES + " in " + inputs
                    + " both give the image; drop one");
        }
        if (in.ids().length != 1) {
            throw new VlmscopeException("--image gives the images of one prompt, but " + inputs + " holds "
                    + in.ids().length
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
            return new Inputs(rows, st.contains(PIXEL_VALUES) ? filePixels(st, batch) : null,
                    st.contains(POSITION_IDS) ? filePositions(st) : null);
        }
    }

    /**
     * The file's images: pixel_values [B, 3, H, W], one per row, or, with {@value #IMAGE_GRID_THW} [images, 3]
     * beside them, the pixel rows of images of their own grids (Qwen2-VL's processor output), checked against the
     * model when it runs.
     */
    private static VisionInput filePixels(SafetensorsFile st, int batch) {
        TensorInfo px = st.info(PIXEL_VALUES);
        long[] s = px.shape();
        if (st.contains(IMAGE_GRID_THW)) {
            return gridPixels(st, px);
        }
        if (px.dtype() != DType.F32 || s.length != 4 || s[0] != batch || s[1] != 3) {
            throw new VlmscopeException("tensor '" + PIXEL_VALUES + "' in " + st.path() + " is " + px.dtype() + " "
                    + Arrays.toString(s) + "; expected F32 [" + batch + ",3,H,W] (one image per input_ids row)");
        }
        return VisionInput.of(NamedTensor.ofFloats(PIXEL_VALUES, s, st.toFloatArray(PIXEL_VALUES)));
    }

    private static VisionInput gridPixels(SafetensorsFile st, TensorInfo px) {
        TensorInfo thw = st.info(IMAGE_GRID_THW);
        long[] g = thw.shape();
        if ((thw.dtype() != DType.I64 && thw.dtype() != DType.I32) || g.length != 2 || g[0] == 0 || g[1] != 3) {
            throw new VlmscopeException("tensor '" + IMAGE_GRID_THW + "' in " + st.path() + " is " + thw.dtype() + " "
                    + Arrays.toString(g) + "; expected I64 [images, 3] (frames, patch rows, patch columns)");
        }
        long[] flat = st.toLongArray(IMAGE_GRID_THW);
        List<ImageGrid> grids = new ArrayList<>();
        long patches = 0;
        for (int i = 0; i < g[0]; i++) {
            if (flat[3 * i] <= 0 || flat[3 * i + 1] <= 0 || flat[3 * i + 2] <= 0
                    || flat[3 * i] * flat[3 * i + 1] * flat[3 * i + 2] > Integer.MAX_VALUE) {
                throw new VlmscopeException("image " + i + " of '" + IMAGE_GRID_THW + "' in " + st.path() + " is "
                        + Arrays.toString(Arrays.copyOfRange(flat, 3 * i, 3 * i + 3)) + "; expected positive sizes");
            }
            ImageGrid grid = new ImageGrid((int) flat[3 * i], (int) flat[3 * i + 1], (int) flat[3 * i + 2]);
            grids.add(grid);
            patches += grid.patches();
        }
        long[] s = px.shape();
        if (px.dtype() != DType.F32 || s.length != 2 || s[0] != patches) {
            throw new VlmscopeException("tensor '" + PIXEL_VALUES + "' in " + st.path() + " is " + px.dtype() + " "
                    + Arrays.toString(s) + "; expected F32 [" + patches + ", patch values], the rows of the images of "
                    + IMAGE_GRID_THW + " " + grids);
        }
        return new VisionInput(NamedTensor.ofFloats(PIXEL_VALUES, s, st.toFloatArray(PIXEL_VALUES)), grids);
    }

    private static NamedTensor filePositions(SafetensorsFile st) {
        TensorInfo info = st.info(POSITION_IDS);
        if (info.dtype() != DType.I64 && info.dtype() != DType.I32) {
            throw new VlmscopeException("tensor '" + POSITION_IDS + "' in " + st.path() + " has dtype " + info.dtype()
                    + "; expected I64 or I32");
        }
        return NamedTensor.ofLongs(POSITION_IDS, info.shape(), st.toLongArray(POSITION_IDS));
    }

    /**
     * An inputs file's position_ids must be what the model's family numbers for its ids and images ([S] or
     * [B, S] for one axis; [axes, S] or [axes, B, S] for Qwen2-VL's three): the runtime derives them itself, and
     * a file that disagrees was made for other ids, images or another model.
     */
    private static void checkPositionIds(Path file, Inputs in, VisionInput vision, ModelManifest m) {
        RuntimeFamily family = RuntimeFamilies.of(m);
        long[][] ids = family.expandImages(m, in.ids(), vision);
        int seq = ids[0].length;
        for (long[] row : ids) {
            if (row.length != seq) {
                throw new VlmscopeException(file + " holds " + POSITION_IDS + " for rows of different lengths; "
                        + "expected rows of one length (no padding) when position_ids are given");
            }
        }
        long[][][] want = family.positionIds(m).prompt(ids, new int[ids.length],
                vision != null ? vision.grids() : List.of());
        int axes = want.length;
        int batch = ids.length;
        long[] shape = in.positionIds().shape();
        long[] full = axes == 1 ? new long[] {batch, seq} : new long[] {axes, batch, seq};
        long[] single = axes == 1 ? new long[] {seq} : new long[] {axes, seq};
        if (!Arrays.equals(shape, full) && !(batch == 1 && Arrays.equals(shape, single))) {
            throw new VlmscopeException("tensor '" + POSITION_IDS + "' in " + file + " has shape "
                    + Arrays.toString(shape) + "; expected " + Arrays.toString(full)
                    + (batch == 1 ? " or " + Arrays.toString(single) : "") + " for " + (axes == 1 ? "one position axis"
                    : axes + " position axes (temporal, height, width)") + " over the expanded ids");
        }
        long[] given = new long[Math.toIntExact(in.positionIds().spec().byteLength() / Long.BYTES)];
        in.positionIds().data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(given);
        for (int a = 0; a < axes; a++) {
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < seq; i++) {
                    long v = given[(a * batch + b) * seq + i];
                    if (v != want[a][b][i]) {
                        throw new VlmscopeException("tensor '" + POSITION_IDS + "' in " + file + " gives " + v
                                + " at axis " + a + ", row " + b + ", position " + i + " where the model's numbering of "
                                + "these ids and images gives " + want[a][b][i] + ": the file was made for other "
                                + "inputs");
                    }
                }
            }
        }
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
