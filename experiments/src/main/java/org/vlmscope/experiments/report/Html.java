package org.vlmscope.experiments.report;

/** Escaping for text placed in HTML and for JSON placed in a script element. */
final class Html {
    private Html() {
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * JSON text safe inside {@code <script type="application/json">}: a {@code </script>} (or {@code <!--}) in a
     * token's text must not end the element, so every {@code <} is written as its JSON escape.
     */
    static String scriptJson(String json) {
        return json.replace("<", "\\u003c");
    }
}
