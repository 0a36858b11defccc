package org.vlmscope.runtime.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlmscope.core.VlmscopeException;

class ProvidersTest {
    /** Pool threads sleep unless VLMSCOPE_ORT_SPINNING=1; any other value is refused by name. */
    @Test
    void spinningIsOffUnlessTheVariableSaysOne() {
        assertEquals("0", Providers.spinning(null));
        assertEquals("0", Providers.spinning(""));
        assertEquals("0", Providers.spinning("0"));
        assertEquals("1", Providers.spinning("1"));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Providers.spinning("yes"));
        assertTrue(e.getMessage().startsWith(Providers.SPINNING_VARIABLE + "=yes: expected 1"), e.getMessage());
    }
}
