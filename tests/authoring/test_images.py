"""Images: checked with file and line when read, shrunk for low bandwidth when built."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

from authoring.build import build_course
from authoring.images import ImageSettings, optimise
from authoring.reader import read_course

COURSE_YAML = ("id: https://academy.example.org/img\ntitle: Images\nversion: '1'\nsource_language: en\n"
               "modules: [m]\n")


def photo(width: int, height: int) -> bytes:
    """A noisy picture, so that compression has real work to do."""
    image = Image.effect_noise((width, height), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def make_course(tmp_path, body: str):
    course = tmp_path / "img"
    (course / "modules").mkdir(parents=True)
    (course / "images").mkdir()
    (course / "course.yaml").write_text(COURSE_YAML)
    (course / "modules" / "m.md").write_text("---\ntype: self-paced\ntitle: M\nduration: 5\n---\n\n# Page\n\n" + body)
    return course


def test_every_image_problem_is_reported_with_its_line(tmp_path):
    course = make_course(tmp_path, "\n\n".join([
        "![](../images/photo.jpg)",                      # line 9: no alt text
        "![A map](../images/missing.png)",               # line 11
        "![Secrets](../../outside.png)",                 # line 13
        "![A report](../images/report.pdf)",             # line 15
        "![Remote](https://example.org/map.png)",        # line 17: a warning
        "![Huge](../images/huge.png)",                   # line 19
        "![Not an image](../images/fake.png)",           # line 21
    ]) + "\n")
    (course / "images" / "photo.jpg").write_bytes(photo(40, 30))
    (course / "images" / "report.pdf").write_bytes(b"%PDF")
    (course / "images" / "fake.png").write_text("this is text")
    with open(course / "images" / "huge.png", "wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # a 50 MB file (sparse on disk)
    (tmp_path / "outside.png").write_bytes(photo(10, 10))
    _, problems = read_course(course)
    found = [(p.line, p.severity, p.message) for p in problems.sorted()]
    assert found == [
        (9, "error", "image '../images/photo.jpg' has no alt text"),
        (11, "error", "image '../images/missing.png' does not exist"),
        (13, "error", "image '../../outside.png' is outside the course folder"),
        (15, "error", "image '../images/report.pdf' is not a PNG, JPEG, GIF or WebP file"),
        (17, "warning", "image 'https://example.org/map.png' is not in the course folder"),
        (19, "error", "image '../images/huge.png': the image is 50 MB; images may be at most 20 MB"),
        (21, "error", "image '../images/fake.png': the file is not a readable image (cannot identify image file "
                      f"'{course / 'images' / 'fake.png'}')"),
    ]


def test_build_resizes_and_recompresses(tmp_path):
    course = make_course(tmp_path, "![A crowded consular waiting room](../images/photo.jpg)\n")
    original = photo(2000, 1500)
    (course / "images" / "photo.jpg").write_bytes(original)
    result = build_course(course, tmp_path / "dist", ImageSettings(max_width=800, quality=60))
    with zipfile.ZipFile(result.path) as zf:
        data = zf.read("assets/images/photo.jpg")
        page = zf.read("modules/m/page.html").decode()
    assert Image.open(io.BytesIO(data)).size == (800, 600)
    assert len(data) < len(original) / 4
    assert (result.images, result.image_bytes_before, result.image_bytes_after) == (1, len(original), len(data))
    assert "images: 1," in result.summary()
    assert '<img src="../../assets/images/photo.jpg" alt="A crowded consular waiting room"' in page


def test_small_images_are_never_made_bigger():
    small = photo(200, 100)
    assert len(optimise(small, ".jpg", ImageSettings(quality=95))) <= len(small)
