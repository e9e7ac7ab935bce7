//! Template expansion with Go's `Regexp.Expand` semantics.

/// Expands a template for a match whose groups 0 and 1 are both `val`
/// (the default regex `(.*)`).
pub(crate) fn expand_whole(template: &str, val: &str) -> String {
    let mut out = String::with_capacity(template.len() + val.len());
    expand_go(template, &mut out, |g| match g {
        Group::Index(0 | 1) => Some(val),
        _ => None,
    });
    out
}

/// Expands a template with a regex's captures.
pub(crate) fn expand_caps(template: &str, caps: &regex::Captures<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    expand_go(template, &mut out, |g| match g {
        Group::Index(i) => caps.get(i).map(|m| m.as_str()),
        Group::Name(n) => caps.name(n).map(|m| m.as_str()),
    });
    out
}

/// A group reference in a template.
enum Group<'a> {
    Index(usize),
    Name(&'a str),
}

/// Expands `$name`, `${name}`, `$1` and `${1}` exactly as Go's
/// `Regexp.Expand` (and so Prometheus) does: a name is the longest run of
/// letters, digits and `_`; a name that parses as a number is a group
/// index; an unknown or unmatched group expands to nothing; `$$` is `$`;
/// a `$` without a valid name (`$-`, `${}`, `${x` ) is kept as text.
fn expand_go<'v>(template: &str, out: &mut String, lookup: impl Fn(Group<'_>) -> Option<&'v str>) {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let (brace, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let end = body.find(|c: char| !is_name(c)).unwrap_or(body.len());
        let name = &body[..end];
        let mut tail = &body[end..];
        let mut ok = !name.is_empty();
        if ok && brace {
            match tail.strip_prefix('}') {
                Some(t) => tail = t,
                None => ok = false,
            }
        }
        if !ok {
            out.push('$');
            rest = after;
            continue;
        }
        let g = match name.parse::<usize>() {
            Ok(n) if name.bytes().all(|b| b.is_ascii_digit()) => Group::Index(n),
            _ => Group::Name(name),
        };
        if let Some(v) = lookup(g) {
            out.push_str(v);
        }
        rest = tail;
    }
    out.push_str(rest);
}
