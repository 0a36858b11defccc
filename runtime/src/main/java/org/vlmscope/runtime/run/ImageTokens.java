package org.vlmscope.runtime.run;

import org.vlmscope.core.VlmscopeException;

/**
 * The image placeholder in input_ids: either one id that stands for the whole image (expanded here to one id
 * per visual token) or already expanded. Anything else is refused, because a mismatch would silently shift
 * every position after the image.
 */
public final class ImageTokens {
    private ImageTokens() {
    }

    public static int count(long[] ids, long imageTokenId) {
        int n = 0;
        for (long id : ids) {
            if (id == imageTokenId) {
                n++;
            }
        }
        return n;
    }

    /** The row with its placeholder expanded to {@code visualTokens} ids; unchanged when already expanded or text-only. */
    public static long[] expand(long[] ids, long imageTokenId, int visualTokens) {
        int n = count(ids, imageTokenId);
        if (n == 0 || n == visualTokens) {
            return ids;
        }
        if (n != 1) {
            throw new VlmscopeException("input_ids hold " + n + " image tokens (id " + imageTokenId
                    + "); expected 1 placeholder or exactly " + visualTokens + " (one per visual token)");
        }
        long[] out = new long[ids.length - 1 + visualTokens];
        int o = 0;
        for (long id : ids) {
            if (id == imageTokenId) {
                for (int k = 0; k < visualTokens; k++) {
                    out[o++] = imageTokenId;
                }
            } else {
                out[o++] = id;
            }
        }
        return out;
    }
}
