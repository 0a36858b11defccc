package org.vlmscope.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.Locale;
import org.vlmscope.core.VlmscopeException;

/**
 * The part of Jinja that Hugging Face chat templates of the Phi-3 and Vicuna kind use, enough to render one user
 * turn: text, {@code {{ expr }}}, {@code {% for x in xs %}}, {@code {% if %}/{% elif %}/{% else %}}, {@code {% set %}},
 * comments and the {@code -} whitespace trim; expressions with string, number and boolean literals, names,
 * {@code a.b} and {@code a['b']}, {@code +} and {@code ~}, {@code ==}, {@code !=}, {@code and}, {@code or},
 * {@code not}, {@code is defined}, {@code loop.first|last|index|index0} and the {@code trim} filter and
 * {@code strip()}. Anything else is refused with a message naming it, never guessed.
 */
public final class MiniJinja {
    /**
     * Deepest nesting of blocks, or of brackets and {@code not}s in one expression: chat templates nest a few
     * levels; a damaged or hostile one must not exhaust the parser's stack.
     */
    static final int MAX_NESTING = 64;

    private final List<Object> nodes;

    private MiniJinja(List<Object> nodes) {
        this.nodes = nodes;
    }

    /** Parses {@code template}; an unsupported construct is a {@link VlmscopeException} naming it. */
    public static MiniJinja parse(String template) {
        Parser p = new Parser(segments(template));
        List<Object> body = p.block(List.of());
        if (p.at < p.segments.size()) {
            throw unsupported("'{% " + p.segments.get(p.at).text + " %}' without its opening tag");
        }
        return new MiniJinja(body);
    }

    /** Renders with {@code context} (Strings, Booleans, Numbers, Lists and Maps of them). */
    public String render(Map<String, Object> context) {
        StringBuilder out = new StringBuilder();
        run(nodes, new HashMap<>(context), out);
        return out.toString();
    }

    // ---- template structure --------------------------------------------------------------------------------

    private record Segment(char kind, String text) {
    }

    private record Text(String text) {
    }

    private record Output(Expr expr) {
    }

    private record For(String variable, Expr items, List<Object> body) {
    }

    private record If(List<Expr> conditions, List<List<Object>> bodies, List<Object> otherwise) {
    }

    private record Set(String variable, Expr value) {
    }

    /** Splits the template into text ('t'), output ('o') and statement ('s') segments, applying the trims. */
    private static List<Segment> segments(String t) {
        List<Segment> out = new ArrayList<>();
        int i = 0;
        boolean trimNext = false;
        while (i < t.length()) {
            int open = nextTag(t, i);
            String text = t.substring(i, open < 0 ? t.length() : open);
            if (trimNext) {
                text = text.stripLeading();
            }
            if (open < 0) {
                out.add(new Segment('t', text));
                break;
            }
            char kind = t.charAt(open + 1);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = t.indexOf(close, open + 2);
            if (end < 0) {
                throw unsupported("an unclosed tag at character " + open);
            }
            String inner = t.substring(open + 2, end);
            if (inner.startsWith("-")) {
                text = text.stripTrailing();
                inner = inner.substring(1);
            }
            trimNext = inner.endsWith("-");
            if (trimNext) {
                inner = inner.substring(0, inner.length() - 1);
            }
            out.add(new Segment('t', text));
            if (kind != '#') {
                out.add(new Segment(kind == '{' ? 'o' : 's', inner.strip()));
            }
            i = end + 2;
        }
        return out;
    }

    private static int nextTag(String t, int from) {
        for (int i = t.indexOf('{', from); i >= 0 && i + 1 < t.length(); i = t.indexOf('{', i + 1)) {
            char c = t.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    private static final class Parser {
        final List<Segment> segments;
        int at;

        Parser(List<Segment> segments) {
            this.segments = segments;
        }

        /** Open for and if blocks around the statement being parsed. */
        private int depth;

        /** Nodes up to a statement starting with one of {@code ends} (left unconsumed) or the end. */
        List<Object> block(List<String> ends) {
            List<Object> body = new ArrayList<>();
            while (at < segments.size()) {
                Segment s = segments.get(at);
                if (s.kind == 't') {
                    body.add(new Text(s.text));
                } else if (s.kind == 'o') {
                    body.add(new Output(Expr.parse(s.text)));
                } else {
                    String word = s.text.split("\\s+", 2)[0];
                    if (ends.contains(word)) {
                        return body;
                    }
                    body.add(statement(word, s.text.substring(word.length()).strip()));
                    continue;
                }
                at++;
            }
            if (!ends.isEmpty()) {
                throw unsupported("a block not closed by {% " + ends.get(ends.size() - 1) + " %}");
            }
            return body;
        }

        private Object statement(String word, String rest) {
            at++;
            if ((word.equals("for") || word.equals("if")) && ++depth > MAX_NESTING) {
                throw unsupported("blocks nested more than " + MAX_NESTING + " deep");
            }
            try {
                return statementBody(word, rest);
            } finally {
                if (word.equals("for") || word.equals("if")) {
                    depth--;
                }
            }
        }

        private Object statementBody(String word, String rest) {
            switch (word) {
                case "for" -> {
                    String[] parts = rest.split("\\s+in\\s+", 2);
                    if (parts.length != 2 || !parts[0].matches("[A-Za-z_]\\w*")) {
                        throw unsupported("'{% for " + rest + " %}'");
                    }
                    List<Object> body = block(List.of("endfor"));
                    at++;
                    return new For(parts[0], Expr.parse(parts[1]), body);
                }
                case "if" -> {
                    List<Expr> conditions = new ArrayList<>(List.of(Expr.parse(rest)));
                    List<List<Object>> bodies = new ArrayList<>();
                    List<Object> otherwise = List.of();
                    while (true) {
                        bodies.add(block(List.of("elif", "else", "endif")));
                        Segment end = segments.get(at++);
                        if (end.text.startsWith("elif")) {
                            conditions.add(Expr.parse(end.text.substring(4).strip()));
                        } else if (end.text.equals("else")) {
                            otherwise = block(List.of("endif"));
                            at++;
                            break;
                        } else {
                            break;
                        }
                    }
                    return new If(conditions, bodies, otherwise);
                }
                case "set" -> {
                    String[] parts = rest.split("=", 2);
                    if (parts.length != 2 || !parts[0].strip().matches("[A-Za-z_]\\w*")) {
                        throw unsupported("'{% set " + rest + " %}'");
                    }
                    return new Set(parts[0].strip(), Expr.parse(parts[1].strip()));
                }
                default -> throw unsupported("the statement '{% " + word + " %}'");
            }
        }
    }

    private static void run(List<Object> nodes, Map<String, Object> scope, StringBuilder out) {
        for (Object n : nodes) {
            if (n instanceof Text t) {
                out.append(t.text());
            } else if (n instanceof Output o) {
                Object v = o.expr().eval(scope);
                out.append(v == null ? "" : str(v));
            } else if (n instanceof Set s) {
                scope.put(s.variable(), s.value().eval(scope));
            } else if (n instanceof If f) {
                List<Object> chosen = f.otherwise();
                for (int i = 0; i < f.conditions().size(); i++) {
                    if (truthy(f.conditions().get(i).eval(scope))) {
                        chosen = f.bodies().get(i);
                        break;
                    }
                }
                run(chosen, scope, out);
            } else if (n instanceof For f) {
                Object items = f.items().eval(scope);
                if (!(items instanceof List<?> list)) {
                    throw unsupported("a for loop over " + (items == null ? "an undefined value" : "a non-list"));
                }
                Object outerVariable = scope.get(f.variable());
                Object outerLoop = scope.get("loop");
                for (int i = 0; i < list.size(); i++) {
                    scope.put(f.variable(), list.get(i));
                    scope.put("loop", Map.of("index0", (long) i, "index", (long) i + 1, "first", i == 0,
                            "last", i == list.size() - 1, "length", (long) list.size()));
                    run(f.body(), scope, out);
                }
                scope.put(f.variable(), outerVariable);
                scope.put("loop", outerLoop);
            }
        }
    }

    static boolean truthy(Object v) {
        if (v == null || Boolean.FALSE.equals(v)) {
            return false;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Number n) {
            return n.doubleValue() != 0;
        }
        return true;
    }

    static String str(Object v) {
        return v instanceof Boolean b ? (b ? "True" : "False") : String.valueOf(v);
    }

    static VlmscopeException unsupported(String what) {
        // Templates span lines; the message quotes their text, so line breaks are shown as \n to keep it one line.
        String shown = what.replace("\r", "\\r").replace("\n", "\\n");
        return new VlmscopeException("chat template uses " + shown + ", which vlmscope's template reader does not support");
    }

    // ---- expressions -------------------------------------------------------------------------------------

    /** An expression, parsed by precedence: or, and, not, comparison, +/~, filter, postfix, atom. */
    interface Expr {
        Object eval(Map<String, Object> scope);

        static Expr parse(String text) {
            ExprParser p = new ExprParser(text);
            Expr e = p.or();
            if (p.peek() != null) {
                throw unsupported("'" + p.peek() + "' in the expression '" + text + "'");
            }
            return e;
        }
    }

    private static final class ExprParser {
        private final List<String> tokens = new ArrayList<>();
        private int at;

        ExprParser(String text) {
            int i = 0;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '\'' || c == '"') {
                    StringBuilder s = new StringBuilder("'");
                    int j = i + 1;
                    for (; j < text.length() && text.charAt(j) != c; j++) {
                        char d = text.charAt(j);
                        if (d == '\\' && j + 1 < text.length()) {
                            char e = text.charAt(++j);
                            s.append(switch (e) {
                                case 'n' -> '\n';
                                case 't' -> '\t';
                                default -> e;
                            });
                        } else {
                            s.append(d);
                        }
                    }
                    if (j >= text.length()) {
                        throw unsupported("an unterminated string in '" + text + "'");
                    }
                    tokens.add(s.toString());
                    i = j + 1;
                } else if (Character.isLetterOrDigit(c) || c == '_') {
                    int j = i;
                    while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
                        j++;
                    }
                    tokens.add(text.substring(i, j));
                    i = j;
                } else if (text.startsWith("==", i) || text.startsWith("!=", i)) {
                    tokens.add(text.substring(i, i + 2));
                    i += 2;
                } else if ("()[].,+~|".indexOf(c) >= 0) {
                    tokens.add(String.valueOf(c));
                    i++;
                } else {
                    throw unsupported("'" + c + "' in the expression '" + text + "'");
                }
            }
            checkNesting(text);
        }

        /** Brackets and {@code not} are what the recursive descent recurses on; both are bounded. */
        private void checkNesting(String text) {
            int nots = (int) tokens.stream().filter("not"::equals).count();
            int depth = 0;
            int deepest = nots;
            for (String t : tokens) {
                depth += t.equals("(") || t.equals("[") ? 1 : t.equals(")") || t.equals("]") ? -1 : 0;
                deepest = Math.max(deepest, depth + nots);
            }
            if (deepest > MAX_NESTING) {
                String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
                throw unsupported("an expression nested more than " + MAX_NESTING + " deep ('" + shown + "')");
            }
        }

        String peek() {
            return at < tokens.size() ? tokens.get(at) : null;
        }

        private boolean accept(String t) {
            if (t.equals(peek())) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(String t) {
            if (!accept(t)) {
                throw unsupported("an expression missing '" + t + "' (found " + peek() + ")");
            }
        }

        Expr or() {
            Expr left = and();
            while (accept("or")) {
                Expr l = left;
                Expr r = and();
                left = s -> truthy(l.eval(s)) ? l.eval(s) : r.eval(s);
            }
            return left;
        }

        private Expr and() {
            Expr left = not();
            while (accept("and")) {
                Expr l = left;
                Expr r = not();
                left = s -> truthy(l.eval(s)) ? r.eval(s) : l.eval(s);
            }
            return left;
        }

        private Expr not() {
            if (accept("not")) {
                Expr e = not();
                return s -> !truthy(e.eval(s));
            }
            return comparison();
        }

        private Expr comparison() {
            Expr left = sum();
            if (accept("==")) {
                Expr r = sum();
                return s -> same(left.eval(s), r.eval(s));
            }
            if (accept("!=")) {
                Expr r = sum();
                return s -> !same(left.eval(s), r.eval(s));
            }
            if (accept("is")) {
                boolean negated = accept("not");
                String test = peek();
                if (!"defined".equals(test)) {
                    throw unsupported("the test 'is " + test + "'");
                }
                at++;
                return s -> (left.eval(s) != null) != negated;
            }
            return left;
        }

        private Expr sum() {
            Expr left = filtered();
            while (true) {
                if (accept("+")) {
                    Expr l = left;
                    Expr r = filtered();
                    left = s -> add(l.eval(s), r.eval(s));
                } else if (accept("~")) {
                    Expr l = left;
                    Expr r = filtered();
                    left = s -> str(orEmpty(l.eval(s))) + str(orEmpty(r.eval(s)));
                } else {
                    return left;
                }
            }
        }

        private Expr filtered() {
            Expr e = postfix();
            while (accept("|")) {
                String filter = peek();
                at++;
                if (!"trim".equals(filter)) {
                    throw unsupported("the filter '" + filter + "'");
                }
                Expr inner = e;
                e = s -> str(orEmpty(inner.eval(s))).strip();
            }
            return e;
        }

        private Expr postfix() {
            Expr e = atom();
            while (true) {
                if (accept(".")) {
                    String name = peek();
                    at++;
                    if (accept("(")) {
                        expect(")");
                        Expr target = e;
                        e = switch (name) {
                            case "strip" -> s -> str(orEmpty(target.eval(s))).strip();
                            case "upper" -> s -> str(orEmpty(target.eval(s))).toUpperCase(Locale.ROOT);
                            case "lower" -> s -> str(orEmpty(target.eval(s))).toLowerCase(Locale.ROOT);
                            default -> throw unsupported("the method '" + name + "()'");
                        };
                    } else {
                        Expr target = e;
                        e = s -> member(target.eval(s), name);
                    }
                } else if (accept("[")) {
                    Expr key = or();
                    expect("]");
                    Expr target = e;
                    e = s -> member(target.eval(s), key.eval(s));
                } else {
                    return e;
                }
            }
        }

        private Expr atom() {
            String t = peek();
            if (t == null) {
                throw unsupported("an incomplete expression");
            }
            at++;
            if (t.startsWith("'")) {
                String value = t.substring(1);
                return s -> value;
            }
            if (t.equals("(")) {
                Expr e = or();
                expect(")");
                return e;
            }
            if (t.chars().allMatch(Character::isDigit)) {
                long value = Long.parseLong(t);
                return s -> value;
            }
            switch (t) {
                case "true", "True" -> {
                    return s -> true;
                }
                case "false", "False" -> {
                    return s -> false;
                }
                case "none", "None" -> {
                    return s -> null;
                }
                default -> {
                    if (!t.matches("[A-Za-z_]\\w*")) {
                        throw unsupported("'" + t + "' in an expression");
                    }
                    return s -> s.get(t);
                }
            }
        }

        private static Object orEmpty(Object v) {
            return v == null ? "" : v;
        }

        private static Object add(Object a, Object b) {
            if (a instanceof Number x && b instanceof Number y) {
                return x.longValue() + y.longValue();
            }
            if (a instanceof String || b instanceof String) {
                return str(orEmpty(a)) + str(orEmpty(b));
            }
            throw unsupported("'+' on " + a + " and " + b);
        }

        private static boolean same(Object a, Object b) {
            if (a instanceof Number x && b instanceof Number y) {
                return x.longValue() == y.longValue();
            }
            return a == null ? b == null : a.equals(b);
        }

        private static Object member(Object target, Object key) {
            if (target instanceof Map<?, ?> m) {
                return m.get(key);
            }
            if (target instanceof List<?> l && key instanceof Number n) {
                int i = n.intValue() < 0 ? l.size() + n.intValue() : n.intValue();
                return i >= 0 && i < l.size() ? l.get(i) : null;
            }
            return null;
        }
    }
}
