package org.vlmscope.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * One-line messages for JSON that does not parse. Jackson's own messages span lines and name its internal sources
 * ({@code [Source: REDACTED ...]}); users need the file, what the parser expected and where.
 */
public final class JsonErrors {
    private JsonErrors() {
    }

    /** "{@code FILE} is not valid JSON: {@code what} (line L, column C)". */
    public static VlmscopeException notJson(Object file, JsonProcessingException e) {
        String what = String.valueOf(e.getOriginalMessage())
                .replaceAll("\\(start marker at \\[Source: [^]]*; line: (\\d+), column: (\\d+)]\\)",
                        "(opened at line $1, column $2)")
                .replaceAll("\\s*\\[Source: [^]]*]", "")
                .replaceAll("\\s+", " ")
                .strip();
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return new VlmscopeException(file + " is not valid JSON: " + what + where, e);
    }
}
