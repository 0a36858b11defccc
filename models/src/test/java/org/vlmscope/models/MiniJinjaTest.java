package org.vlmscope.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.VlmscopeException;

/** Chat templates rendered by hand-checked expectation: what Jinja prints for the same template and messages. */
class MiniJinjaTest {
    private static final Map<String, Object> USER_TURN = Map.of(
            "messages", List.of(Map.of("role", "user", "content", "<image>\nHi?")),
            "add_generation_prompt", true, "bos_token", "<s>", "eos_token", "</s>");

    /** Phi-3-mini-4k-instruct's template of spring 2024 (string concatenation, if/elif in a for loop). */
    @Test
    void phi3Template() {
        String phi3 = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
                + "{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}"
                + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\\n'}}"
                + "{% endif %}{% endfor %}";
        assertEquals("<s><|user|>\n<image>\nHi?<|end|>\n<|assistant|>\n", MiniJinja.parse(phi3).render(USER_TURN));
    }

    @Test
    void whitespaceTrimLoopVariablesElseAndSet() {
        String t = "{%- set sep = ' | ' -%}\n  {% for m in messages %}{{ loop.index }}:{{ m.role | trim }}"
                + "{% if not loop.last %}{{ sep }}{% endif %}{% endfor %}\n{%- if add_generation_prompt %} GO"
                + "{% else %} STOP{% endif %}{# a comment #}{{ missing is defined }}";
        Map<String, Object> ctx = Map.of("messages", List.of(Map.of("role", " user "), Map.of("role", "assistant")),
                "add_generation_prompt", false);
        assertEquals("1:user | 2:assistant STOPFalse", MiniJinja.parse(t).render(ctx));
    }

    @Test
    void vicunaStyleWithMethodsAndTilde() {
        String t = "{% for m in messages %}{{ m['role'].upper() ~ ': ' ~ m['content'] }} {% endfor %}"
                + "{% if add_generation_prompt %}ASSISTANT:{% endif %}";
        assertEquals("USER: <image>\nHi? ASSISTANT:", MiniJinja.parse(t).render(USER_TURN));
    }

    @Test
    void unsupportedConstructsAreRefusedByName() {
        VlmscopeException filter = assertThrows(VlmscopeException.class, () -> MiniJinja.parse(
                "{% for c in m['content'] | selectattr('type', 'equalto', 'image') %}{% endfor %}"));
        assertTrue(filter.getMessage().contains("'selectattr'"), filter.getMessage());
        VlmscopeException macro = assertThrows(VlmscopeException.class, () -> MiniJinja.parse("{% macro x() %}"));
        assertTrue(macro.getMessage().contains("'{% macro %}'"), macro.getMessage());
        assertThrows(VlmscopeException.class, () -> MiniJinja.parse("{% if x %}open"));
        assertThrows(VlmscopeException.class, () -> MiniJinja.parse("{{ 'unterminated }}"));
    }

    /**
     * Found by the fuzz test: deep nesting exhausted the parser's stack (StackOverflowError, an internal error on
     * export), and a message quoting a multi-line template spanned lines.
     */
    @Test
    void deepNestingAndLineBreaksAreRefusedInOneLine() {
        String[] hostile = {"{{ " + "(".repeat(100_000) + "x" + ")".repeat(100_000) + " }}",
                "{{ " + "not ".repeat(100_000) + "x }}",
                "{% if x %}".repeat(50_000) + "{% endif %}".repeat(50_000)};
        for (String t : hostile) {
            VlmscopeException e = assertThrows(VlmscopeException.class, () -> MiniJinja.parse(t).render(Map.of()));
            assertTrue(e.getMessage().contains("nested more than 64 deep"), e.getMessage());
        }
        String nested = "{% for m in messages %}".repeat(60) + "{{ m }}" + "{% endfor %}".repeat(60);
        assertEquals("", MiniJinja.parse(nested).render(Map.of("messages", List.of())), "60 levels still parse");
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> MiniJinja.parse("{{ 'a' +\n 'b' ? }}"));
        assertTrue(!e.getMessage().contains("\n") && e.getMessage().contains("\\n"), e.getMessage());
    }
}
