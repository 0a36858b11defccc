package org.vlmscope.runtime.diff;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.TensorInfo;

/**
 * Compares two activation dumps (vlmscope run --cache) tensor by tensor: per hook, and per layer for hooks named
 * {@code blocks.{i}...} or lens tensors (whose first axis is the layer): max and mean absolute difference,
 * relative L2 (||B - A|| / ||A||, A the reference), cosine similarity; for lens top-k ids, the fraction of
 * positions whose top-1 token agrees.
 */
public final class ActivationDiff {
    private static final Pattern LAYER_HOOK = HookName.LAYER_INDEX;

    private ActivationDiff() {
    }

    public static List<DiffRow> compare(Path a, Path b) {
        try (SafetensorsFile fa = SafetensorsFile.open(a); SafetensorsFile fb = SafetensorsFile.open(b)) {
            TreeSet<String> names = new TreeSet<>(ActivationDiff::byFamilyThenLayer);
            fa.tensors().forEach(t -> names.add(t.name()));
            fb.tensors().forEach(t -> names.add(t.name()));
            List<DiffRow> rows = new ArrayList<>();
            for (String name : names) {
                if (!fa.contains(name) || !fb.contains(name)) {
                    rows.add(DiffRow.missing(name, "only in " + (fa.contains(name) ? "A" : "B")));
                    continue;
                }
                TensorInfo ia = fa.info(name);
                TensorInfo ib = fb.info(name);
                if (!Arrays.equals(ia.shape(), ib.shape())) {
                    rows.add(DiffRow.missing(name, "shapes differ: " + Arrays.toString(ia.shape()) + " vs "
                            + Arrays.toString(ib.shape())));
                    continue;
                }
                if (ia.dtype().isFloating() != ib.dtype().isFloating()) {
                    rows.add(DiffRow.missing(name, "dtypes differ: " + ia.dtype() + " vs " + ib.dtype()));
                    continue;
                }
                rows.addAll(compareTensor(name, fa, fb, ia));
            }
            return rows;
        }
    }

    private static List<DiffRow> compareTensor(String name, SafetensorsFile fa, SafetensorsFile fb, TensorInfo info) {
        Matcher m = LAYER_HOOK.matcher(name);
        if (m.matches()) {
            return List.of(metrics(m.group(1) + "*" + m.group(3), Integer.parseInt(m.group(2)), fa.toFloatArray(name),
                    fb.toFloatArray(name)));
        }
        // A lens tensor's first axis is the layer; an empty one has no rows to split into.
        if (name.startsWith(GraphNames.LENS_PREFIX) && info.shape().length >= 1 && info.numel() > 0) {
            int layers = (int) info.shape()[0];
            List<DiffRow> rows = new ArrayList<>();
            if (name.equals(GraphNames.LENS_TOP_IDS)) {
                long[] ia = fa.toLongArray(name);
                long[] ib = fb.toLongArray(name);
                int k = (int) info.shape()[info.shape().length - 1];
                int perLayer = ia.length / layers;
                for (int l = 0; l < layers; l++) {
                    int agree = 0;
                    int positions = perLayer / k;
                    for (int p = 0; p < positions; p++) {
                        int at = l * perLayer + p * k;
                        agree += ia[at] == ib[at] ? 1 : 0;
                    }
                    rows.add(new DiffRow(name, l, perLayer, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                            (double) agree / positions, null));
                }
                return rows;
            }
            float[] va = fa.toFloatArray(name);
            float[] vb = fb.toFloatArray(name);
            int perLayer = va.length / layers;
            for (int l = 0; l < layers; l++) {
                rows.add(metrics(name, l, Arrays.copyOfRange(va, l * perLayer, (l + 1) * perLayer),
                        Arrays.copyOfRange(vb, l * perLayer, (l + 1) * perLayer)));
            }
            return rows;
        }
        if (!info.dtype().isFloating()) {
            long[] ia = fa.toLongArray(name);
            long[] ib = fb.toLongArray(name);
            long differ = 0;
            for (int i = 0; i < ia.length; i++) {
                differ += ia[i] != ib[i] ? 1 : 0;
            }
            return List.of(new DiffRow(name, null, ia.length, differ, (double) differ / Math.max(1, ia.length),
                    Double.NaN, Double.NaN, Double.NaN, "integer tensor: max_abs counts differing elements"));
        }
        return List.of(metrics(name, null, fa.toFloatArray(name), fb.toFloatArray(name)));
    }

    /**
     * One row for a tensor two runs hold in memory, B against the reference A: the entry point for a caller that
     * has both runs' activations and no dump files. A {@code blocks.{i}...} hook is reported under its family and
     * layer, as {@link #compare(Path, Path)} reports it.
     */
    public static DiffRow compare(String name, float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(name + ": " + a.length + " values against " + b.length);
        }
        Matcher m = LAYER_HOOK.matcher(name);
        return m.matches() ? metrics(m.group(1) + "*" + m.group(3), Integer.parseInt(m.group(2)), a, b)
                : metrics(name, null, a, b);
    }

    static DiffRow metrics(String tensor, Integer layer, float[] a, float[] b) {
        double maxAbs = 0;
        double sumAbs = 0;
        double diff2 = 0;
        double a2 = 0;
        double b2 = 0;
        double ab = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) b[i] - a[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
            sumAbs += Math.abs(d);
            diff2 += d * d;
            a2 += (double) a[i] * a[i];
            b2 += (double) b[i] * b[i];
            ab += (double) a[i] * b[i];
        }
        double cosine = a2 == 0 || b2 == 0 ? Double.NaN : ab / Math.sqrt(a2 * b2);
        return new DiffRow(tensor, layer, a.length, maxAbs, a.length == 0 ? 0 : sumAbs / a.length,
                a2 == 0 ? Double.NaN : Math.sqrt(diff2 / a2), cosine, Double.NaN, null);
    }

    /** Orders blocks.{i}.x by family, then by layer number (so layer 10 follows 9), everything else by name. */
    private static int byFamilyThenLayer(String x, String y) {
        Matcher mx = LAYER_HOOK.matcher(x);
        Matcher my = LAYER_HOOK.matcher(y);
        String fx = mx.matches() ? mx.group(1) + "*" + mx.group(3) : x;
        String fy = my.matches() ? my.group(1) + "*" + my.group(3) : y;
        int c = fx.compareTo(fy);
        if (c != 0 || !mx.matches() || !my.matches()) {
            return c != 0 ? c : x.compareTo(y);
        }
        return Integer.compare(Integer.parseInt(mx.group(2)), Integer.parseInt(my.group(2)));
    }
}
