package org.vlmscope.experiments.dataset.coco;

import java.util.Arrays;

/**
 * Decodes the {@code counts} string of a compressed COCO RLE (pycocotools' {@code rleFrString}): each count is
 * written in groups of 5 bits, least significant first, one character {@code 48 + group} per group with bit 0x20
 * set while more groups follow and bit 0x10 of the last group the sign; from the fourth count on, the value stored
 * is the difference to the count two places before.
 */
public final class CompressedRle {
    private CompressedRle() {
    }

    /** The run lengths, or a message in an {@link IllegalArgumentException} when the string is malformed. */
    public static long[] decode(String counts) {
        long[] out = new long[counts.length()];
        int m = 0;
        int p = 0;
        while (p < counts.length()) {
            long x = 0;
            int k = 0;
            boolean more = true;
            while (more) {
                if (p >= counts.length()) {
                    throw new IllegalArgumentException("the counts string ends inside a number");
                }
                int c = counts.charAt(p) - 48;
                if (c < 0 || c > 63 || k >= 12) {
                    throw new IllegalArgumentException("character '" + counts.charAt(p) + "' at " + p
                            + " is not part of a compressed RLE");
                }
                x |= (long) (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) {
                    x |= -1L << (5 * k);
                }
            }
            if (m > 2) {
                x += out[m - 2];
            }
            if (x < 0) {
                throw new IllegalArgumentException("run " + m + " decodes to a negative length " + x);
            }
            out[m++] = x;
        }
        return Arrays.copyOf(out, m);
    }
}
