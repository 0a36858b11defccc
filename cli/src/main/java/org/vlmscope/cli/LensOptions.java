package org.vlmscope.cli;

import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.intervene.Positions;
import picocli.CommandLine.Option;

/** The logit-lens options, shared by {@code run} (lens tensors into the cache) and {@code surgery} (lens outputs). */
final class LensOptions {
    @Option(names = "--lens", paramLabel = "K",
            description = "Logit lens: the final norm and unembedding applied to every residual stream (row 0 the "
                    + "embeddings, row i the output of layer i-1), keeping the top K tokens at every position: outputs "
                    + GraphNames.LENS_TOP_IDS + ", " + GraphNames.LENS_TOP_LOGITS + ", " + GraphNames.LENS_TOP_PROBS
                    + " [rows,batch,sequence,K] (run: into --cache).")
    Integer k;

    @Option(names = "--lens-targets", paramLabel = "IDS",
            description = "Token ids whose lens probabilities are kept as well, in ascending order (e.g. 39 or "
                    + "13,39,100-103; needs --lens).")
    String targets;

    /** The lens asked for, or null; the ids are checked here only for form, the vocabulary is the graph's to check. */
    LensRequest request() {
        if (k == null) {
            if (targets != null) {
                throw new BadArgumentException("--lens-targets needs --lens K: target probabilities are lens outputs");
            }
            return null;
        }
        if (k < 1) {
            throw new BadArgumentException("--lens K must be at least 1, got " + k);
        }
        List<Long> ids = targets == null ? List.of()
                : Arrays.stream(Positions.parse(targets, "--lens-targets token id")).mapToObj(i -> (long) i).toList();
        if (targets != null) {
            checkAscending();
        }
        return new LensRequest(k, ids);
    }

    /**
     * lens.target_probs holds one column per id in ascending order; ids given in another order (or twice) would be
     * read against the wrong columns, so they are refused rather than reordered silently.
     */
    private void checkAscending() {
        int previous = -1;
        for (String part : targets.split(",")) {
            int[] ids = Positions.parse(part, "--lens-targets token id");
            if (ids[0] <= previous) {
                throw new BadArgumentException("--lens-targets " + targets + ": token ids must be in ascending order "
                        + "without repeats (e.g. 3,9 or 13,39,100-103); " + ids[0] + " follows " + previous);
            }
            previous = ids[ids.length - 1];
        }
    }

    /**
     * As {@link #request()}, checked against the vocabulary before a run: otherwise the lens pass would refuse
     * the ids only when the decoder variant is built, after the vision graph has run.
     */
    LensRequest request(int vocab) {
        LensRequest r = request();
        if (r == null) {
            return null;
        }
        if (r.k() > vocab) {
            throw new BadArgumentException("--lens " + r.k() + " exceeds the vocabulary of " + vocab + " tokens");
        }
        for (long id : r.targets()) {
            if (id >= vocab) {
                throw new BadArgumentException("--lens-targets: token " + id + " is outside the vocabulary (0-"
                        + (vocab - 1) + ")");
            }
        }
        return r;
    }
}
