//! Diagnostics: one [`Diagnostic`] type for every stage of the frontend
//! (lexer, parser, checker, interpreter), rendered like rustc by
//! `codespan-reporting` in plain text without colour:
//!
//! ```text
//! error: expected `:`
//!  --> model.py:3:13
//!   |
//! 3 | if x > 0
//!   |         ^ expected `:` here
//!   |
//!   = help: a compound statement's header ends with `:`
//! ```
//!
//! Rendering never panics: spans are clamped into the file and onto
//! character boundaries first.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

use crate::syntax::span::{SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A message about the program, anchored at a primary span.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Text under the primary span's carets (may be empty).
    pub label: String,
    /// Other spans worth pointing at, each with its text.
    pub secondary: Vec<(Span, String)>,
    /// `= note: ...` lines.
    pub notes: Vec<String>,
    /// The `= help: ...` line.
    pub help: Option<String>,
}

impl Diagnostic {
    fn new(severity: Severity, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn error(message: impl Into<String>, span: Span) -> Self {
        Diagnostic::new(Severity::Error, message, span)
    }

    pub fn warning(message: impl Into<String>, span: Span) -> Self {
        Diagnostic::new(Severity::Warning, message, span)
    }

    pub fn label(mut self, s: impl Into<String>) -> Self {
        self.label = s.into();
        self
    }

    pub fn secondary(mut self, span: Span, s: impl Into<String>) -> Self {
        self.secondary.push((span, s.into()));
        self
    }

    pub fn note(mut self, s: impl Into<String>) -> Self {
        self.notes.push(s.into());
        self
    }

    pub fn help(mut self, s: impl Into<String>) -> Self {
        self.help = Some(s.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The rustc-style text of this diagnostic (no colour), ending in a newline.
    pub fn render(&self, file: &SourceFile) -> String {
        let files = SimpleFile::new(file.name.as_str(), file.text.as_str());
        let config = term::Config { chars: term::Chars::ascii(), ..term::Config::default() };
        let text = &file.text;
        let mut labels = vec![cs::Label::primary((), clamp(text, self.span)).with_message(&self.label)];
        for (span, msg) in &self.secondary {
            labels.push(cs::Label::secondary((), clamp(text, *span)).with_message(msg));
        }
        let mut notes: Vec<String> = self.notes.iter().map(|n| format!("note: {n}")).collect();
        if let Some(h) = &self.help {
            notes.push(format!("help: {h}"));
        }
        let severity = match self.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let diag = cs::Diagnostic::new(severity).with_message(&self.message).with_labels(labels).with_notes(notes);
        match term::emit_into_string(&config, &files, &diag) {
            Ok(s) => s,
            // Unreachable with clamped spans; keep a plain rendering anyway.
            Err(_) => format!("{}: {}\n --> {}\n", severity_word(self.severity), self.message, file.location(self.span)),
        }
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A byte range inside `text` on character boundaries.
fn clamp(text: &str, span: Span) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(text.len());
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// All diagnostics in order, separated as the renderer separates them.
pub fn render_all(diags: &[Diagnostic], file: &SourceFile) -> String {
    diags.iter().map(|d| d.render(file)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let f = SourceFile::new("m.py", "x = 1\nif x > 0\n    pass\n");
        let d = Diagnostic::error("expected `:`", Span::new(14, 14)).label("expected `:` here").help("add `:`");
        let s = d.render(&f);
        assert!(s.starts_with("error: expected `:`\n  --> m.py:2:9\n"), "{s}");
        assert!(s.contains("2 | if x > 0\n"), "{s}");
        assert!(s.contains("= help: add `:`"), "{s}");
    }

    #[test]
    fn bad_spans_do_not_panic() {
        let f = SourceFile::new("m.py", "é\n");
        for (a, b) in [(0, 1), (1, 2), (5, 9), (3, 1), (u32::MAX, u32::MAX)] {
            let d = Diagnostic::warning("w", Span { start: a, end: b }).secondary(Span { start: b, end: a }, "s");
            assert!(d.render(&f).starts_with("warning: w"));
        }
        let empty = SourceFile::new("e.py", "");
        assert!(Diagnostic::error("e", Span::new(0, 0)).render(&empty).starts_with("error: e"));
    }
}
