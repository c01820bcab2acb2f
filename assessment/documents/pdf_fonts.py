"""The Chinese font of printed documents, cut down once per process to the characters forms use.

WeasyPrint embeds in each PDF the subset of every font it draws with. Cutting that subset out of
Noto Serif CJK (65,000 glyphs, 26 MB a face) costs about 0.1 s a face and document, as much as
laying out a two-page sheet. So each process cuts, once, a working copy of the regular and bold
faces holding what a score sheet prints (ASCII, Latin-1, punctuation, CJK symbols, full-width
forms and the 7,445 characters of GB 2312: every character in common use); documents name it
first and the full font second. A character outside the copy (a rare one in a person's name) is
drawn from the full font, which is then embedded too: the paper is the same, only slower.

The copy is cut with HarfBuzz's subsetter (libharfbuzz-subset, which WeasyPrint itself uses),
about a second a face, and lives in memory; it is handed to PDF worker processes with the other
assets. Where the library or the font cannot be found, documents use the full font as before.
"""

import logging
import shutil
import subprocess
from functools import lru_cache

logger = logging.getLogger(__name__)

FAMILY = "Noto Serif CJK SC"  # the system font (fonts-noto-cjk)
COPY_FAMILY = "Noto Serif CJK SC PDF"  # the working copy, as documents name it
FACES = {"regular": ("normal", f"{FAMILY}:weight=regular"), "bold": ("bold", f"{FAMILY}:bold")}
URL_SCHEME = "pdf-font"  # "pdf-font:regular": served from memory by the documents' fetchers

# Code point ranges kept besides GB 2312: ASCII, Latin-1, general punctuation (— “ ” … and the
# figure space that aligns columns of numbers), letterlike symbols, arrows, enclosed numbers, box
# drawing, geometric shapes, CJK symbols and punctuation, full-width forms.
RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x2000, 0x206F),
    (0x2100, 0x21FF),
    (0x2460, 0x24FF),
    (0x2500, 0x25FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
)

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t * hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
void hb_set_add_range (hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_unicode_set (hb_subset_input_t *input);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


def gb2312_characters() -> list[int]:
    """The code points of GB 2312's characters (symbols and the 6,763 hanzi)."""
    found = []
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.append(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def _system_face(pattern: str) -> tuple[str, int] | None:
    """(file, index in the collection) of the face fontconfig gives for `pattern`, if it is FAMILY."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    out = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
        [fc_match, "-f", "%{family}\t%{file}\t%{index}", pattern],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout
    parts = out.split("\t")
    if len(parts) != 3 or FAMILY not in parts[0].split(","):
        return None
    return parts[1], int(parts[2] or 0)


def _harfbuzz():
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    libraries = []
    for names in (
        ("libharfbuzz.so.0", "harfbuzz", "libharfbuzz.0.dylib", "libharfbuzz-0.dll"),
        (
            "libharfbuzz-subset.so.0",
            "harfbuzz-subset",
            "libharfbuzz-subset.0.dylib",
            "libharfbuzz-subset-0.dll",
        ),
    ):
        for name in names:
            try:
                libraries.append(ffi.dlopen(name))
                break
            except OSError:
                continue
        else:
            raise OSError(f"cannot load {names[0]}")
    return ffi, *libraries


def cut_face(path: str, index: int, codepoints: list[int]) -> bytes:
    """The face at `index` of the font file `path`, reduced to `codepoints` (HarfBuzz subsetter)."""
    ffi, hb, hb_subset = _harfbuzz()
    blob = hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == ffi.NULL:
        raise OSError(f"cannot read {path}")
    face = hb.hb_face_create(blob, index)
    subset_input = hb_subset.hb_subset_input_create_or_fail()
    try:
        unicodes = hb_subset.hb_subset_input_unicode_set(subset_input)
        for first, last in RANGES:
            hb.hb_set_add_range(unicodes, first, last)
        for codepoint in codepoints:
            hb.hb_set_add(unicodes, codepoint)
        cut = hb_subset.hb_subset_or_fail(face, subset_input)
        if cut == ffi.NULL:
            raise OSError(f"HarfBuzz could not subset {path}")
        try:
            cut_blob = hb.hb_face_reference_blob(cut)
            length = ffi.new("unsigned int *")
            data = hb.hb_blob_get_data(cut_blob, length)
            content = bytes(ffi.buffer(data, length[0]))
            hb.hb_blob_destroy(cut_blob)
        finally:
            hb.hb_face_destroy(cut)
    finally:
        hb_subset.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    return content


@lru_cache(maxsize=1)
def font_files() -> dict[str, bytes]:
    """{"pdf-font:regular": OTF bytes, "pdf-font:bold": …}, cut once per process; {} when that fails."""
    codepoints = gb2312_characters()
    files = {}
    try:
        for name, (_, pattern) in FACES.items():
            found = _system_face(pattern)
            if found is None:
                return {}
            files[f"{URL_SCHEME}:{name}"] = cut_face(*found, codepoints)
    except (OSError, ImportError, AttributeError) as exc:  # no library, an old HarfBuzz, an unreadable file
        logger.warning("PDF font copy not made, documents embed from the full font: %s", exc)
        return {}
    return files


def font_css(files: dict[str, bytes]) -> str:
    """@font-face rules for the working copy and the family list naming it first (empty without a copy)."""
    if not files:
        return ""
    rules = [
        f'@font-face {{ font-family: "{COPY_FAMILY}"; font-weight: {weight}; src: url({URL_SCHEME}:{name}); }}'
        for name, (weight, _) in FACES.items()
    ]
    rules.append(f'html {{ font-family: "{COPY_FAMILY}", "{FAMILY}", serif; }}')
    return "\n".join(rules)
