//! Account names as Unicode text: the one form a name is stored in, the key under which names
//! are unique, and the characters that would let two different-looking accounts, or two
//! accounts that look the same, exist side by side.

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};

/// The form a name is stored and compared in (NFC): a precomposed and a decomposed "josé"
/// are the same name.
pub fn normalize_name(name: &str) -> String {
    name.nfc().collect()
}

/// The key under which names are unique: compatibility caseless (Unicode's NFKD of the case
/// fold of the NFKD of the case fold of the NFD, composed again), so names that differ only in
/// letter case, normalisation form or compatibility variants ("ﬁ" and "fi", full-width and
/// plain letters) are one name.
pub fn name_fold(name: &str) -> String {
    name.nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkd()
        .nfc()
        .collect()
}

/// Whether `c` shows nothing, or changes how the text around it shows, in a name: control and
/// format characters (zero-width ones, bidirectional controls), other spaces than U+0020,
/// line and paragraph separators, private-use and unassigned code points, and the rest of
/// Unicode's default-ignorable characters (soft hyphen, variation selectors, fillers).
pub fn is_invisible(c: char) -> bool {
    use GeneralCategory::*;
    match c.general_category() {
        Control | Format | LineSeparator | ParagraphSeparator | PrivateUse | Surrogate
        | Unassigned => true,
        SpaceSeparator => c != ' ',
        _ => is_default_ignorable(c),
    }
}

/// Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties) beyond the format
/// characters, which [`is_invisible`] refuses by category.
fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Whether a word of the name (the name split at spaces) mixes Latin, Greek and Cyrillic
/// letters, whose look-alikes ("а" and "a", "ο" and "o") make an impostor of a name
/// ("pаypal") that reads the same. Words in different scripts ("Ivan Иван") and other mixes
/// (Latin with Han, say) are common in real names and stay allowed.
pub fn mixes_lookalike_scripts(name: &str) -> bool {
    name.split(' ').any(|word| {
        let mut seen: Option<Script> = None;
        word.chars().map(|c| c.script()).any(|script| {
            if !matches!(script, Script::Latin | Script::Greek | Script::Cyrillic) {
                return false;
            }
            let mixed = seen.is_some_and(|earlier| earlier != script);
            seen = Some(script);
            mixed
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precomposed_and_decomposed_names_normalize_to_one_form() {
        assert_eq!(normalize_name("jose\u{301}"), "jos\u{e9}");
        assert_eq!(normalize_name("jos\u{e9}"), "jos\u{e9}");
    }

    #[test]
    fn folded_keys_ignore_case_normalisation_and_compatibility_variants() {
        let key = name_fold("jos\u{e9}");
        for same in ["JOSE\u{301}", "Jos\u{e9}", "jos\u{c9}"] {
            assert_eq!(name_fold(same), key, "{same:?}");
        }
        assert_eq!(name_fold("Bob"), name_fold("bob"));
        assert_eq!(name_fold("\u{fb01}x"), name_fold("fix"));
        assert_eq!(name_fold("Stra\u{df}e"), name_fold("STRASSE"));
        assert_eq!(name_fold("\u{ff42}ob"), name_fold("bob"));
        assert_ne!(name_fold("bob"), name_fold("bobby"));
        assert_eq!(name_fold(&name_fold("\u{212a}ELVIN")), name_fold("kelvin"));
    }

    #[test]
    fn invisible_and_direction_characters_are_recognised() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{00AD}',
            '\u{FEFF}',
            '\u{2060}',
            '\u{061C}',
            '\u{034F}',
            '\u{FE0F}',
            '\u{3164}',
            '\u{E0041}',
            '\u{00A0}',
            '\u{3000}',
            '\u{2028}',
            '\u{0007}',
            '\u{E000}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
        for c in ['a', ' ', '\u{e9}', '\u{5c71}', '-', '\u{301}'] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn latin_mixed_with_cyrillic_or_greek_is_a_lookalike_mix() {
        assert!(mixes_lookalike_scripts("p\u{430}ypal"));
        assert!(mixes_lookalike_scripts("b\u{3bf}b"));
        assert!(!mixes_lookalike_scripts("paypal"));
        assert!(!mixes_lookalike_scripts("\u{418}\u{432}\u{430}\u{43d}"));
        assert!(!mixes_lookalike_scripts("Zo\u{eb} \u{5c71}\u{7530}"));
        assert!(!mixes_lookalike_scripts("ann.b@x-1"));
        assert!(!mixes_lookalike_scripts(
            "Ivan \u{418}\u{432}\u{430}\u{43d}"
        ));
        assert!(mixes_lookalike_scripts("Ivan \u{418}v\u{430}n"));
        assert!(mixes_lookalike_scripts("p\u{430}y.pal"));
    }
}
