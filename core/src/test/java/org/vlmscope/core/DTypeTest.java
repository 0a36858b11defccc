package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DTypeTest {

    /** Sizes and names from the safetensors format description. */
    private static final Map<String, Integer> SPEC_SIZES = Map.of(
            "F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4, "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);

    @Test
    void everySafetensorsNameMapsToItsDtypeAndSize() {
        assertEquals(SPEC_SIZES.size(), DType.values().length);
        SPEC_SIZES.forEach((name, size) -> {
            DType dtype = DType.fromSafetensors(name);
            assertEquals(name, dtype.safetensorsName());
            assertEquals(size, dtype.byteSize(), name);
        });
    }

    @Test
    void onlyFloatTypesAreFloating() {
        assertTrue(DType.F64.isFloating());
        assertTrue(DType.F32.isFloating());
        assertTrue(DType.F16.isFloating());
        assertTrue(DType.BF16.isFloating());
        assertFalse(DType.I64.isFloating());
        assertFalse(DType.U8.isFloating());
        assertFalse(DType.BOOL.isFloating());
    }

    @Test
    void unknownNameIsAUserErrorListingTheSupportedOnes() {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> DType.fromSafetensors("F8_E4M3"));
        assertTrue(e.getMessage().contains("F8_E4M3"), e.getMessage());
        assertTrue(e.getMessage().contains("BF16"), e.getMessage());
    }
}
