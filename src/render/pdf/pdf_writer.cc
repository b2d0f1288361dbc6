#include "render/pdf/pdf_writer.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <hb-ot.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/rfc3339.h"
#include "render/i18n/bidi.h"
#include "render/i18n/format.h"
#include "render/image/png.h"
#include "render/pdf/pdf_tagging.h"
#include "render/renderer.h"

namespace reportshare::render::pdf {
namespace {

// A4 in points; Cairo PDF units are points.
constexpr double kPageWidth = 595.276;
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 48;
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kTop = 44;
constexpr double kBottom = kPageHeight - 64;  // content stops here; the footer sits below
constexpr double kFooterY = kPageHeight - 44;
// Caps one text cell so no single row can outgrow a page; only absurdly long
// strings reach it, and they end in an ellipsis.
constexpr int kMaxLines = 8;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.12, 0.14, 0.19};
constexpr Rgb kMuted{0.36, 0.39, 0.45};
constexpr Rgb kTrack{0.925, 0.937, 0.953};
constexpr Rgb kRule{0.85, 0.87, 0.90};
constexpr Rgb kShade{0.94, 0.95, 0.97};
constexpr Rgb kNoteBg{1.0, 0.965, 0.898};
constexpr Rgb kNoteBar{0.88, 0.63, 0.19};
constexpr Rgb kWhite{1, 1, 1};

// A colour of the view's palette (Palette: the primary colour, pass, fail).
constexpr Rgb ToRgb(domain::Color c) { return {c.r / 255.0, c.g / 255.0, c.b / 255.0}; }

// The box the logo is drawn in (about the page's 180×40 CSS pixels); a
// pixel of the logo is at most a CSS pixel (0.75 pt).
constexpr double kLogoMaxWidth = 135;
constexpr double kLogoMaxHeight = 30;
constexpr double kPointsPerPixel = 0.75;

// Noto Sans first; the script families are named so fontconfig need not
// guess (it would take DejaVu Sans for Arabic), and the choice does not
// depend on the process locale. Anything else, emoji included, falls back via
// fontconfig. Noto Color Emoji must not be listed: it has digits, '#' and '*'
// (keycap bases) and Pango would then draw numbers as bitmap emoji.
constexpr const char* kFamilies =
    "Noto Sans,Noto Sans Arabic,Noto Sans Devanagari,Noto Sans CJK SC";

template <class T>
struct GObjectUnref {
  void operator()(T* p) const { g_object_unref(p); }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref<T>>;

// Pango font maps are not thread-safe; each rendering thread loads its own
// (25–55 ms for its first document) and keeps it for later ones.
GPtr<PangoFontMap>& ThreadFontMapSlot() {
  thread_local GPtr<PangoFontMap> map;
  return map;
}
PangoFontMap* ThreadFontMap() {
  GPtr<PangoFontMap>& map = ThreadFontMapSlot();
  if (!map) map.reset(pango_cairo_font_map_new());
  return map.get();
}

struct Op {
  enum class Kind { kText, kFill, kLine, kFrame, kImage };
  Kind kind = Kind::kFill;
  double x = 0, y = 0, w = 0, h = 0;  // a line runs from (x, y) to (x + w, y + h)
  Rgb color = kInk;
  PangoLayout* layout = nullptr;  // owned by the Document
  double line_width = 0;          // kLine, kFrame
  bool dashed = false;            // kLine
  double radius = 0;              // kFill, kFrame: rounded corners
  // The structure element it is drawn for (Document::Element): part of that
  // element's content, or (`decor`) decoration drawn with it, an artifact.
  int element = -1;
  bool decor = false;
  cairo_surface_t* image = nullptr;  // kImage, drawn into (x, y, w, h); owned by the Document
};

// An outline entry: a heading (top level) or a section under the last heading.
struct Anchor {
  std::string name;
  double y = 0;  // relative to its block until placed
  int page = 0;
  bool child = false;
};

// A run of drawing that stays on one page: a row is never split across pages.
struct Block {
  double height = 0;
  std::vector<Op> ops;
  std::vector<Anchor> anchors;

  // The ops that follow are the content of structure element `element`.
  void In(int element) {
    element_ = element;
    decor_ = false;
  }
  // The ops that follow are decoration drawn with `element` (before its
  // content, so a background stays below): artifacts in the tagged PDF.
  void DecorOf(int element) {
    element_ = element;
    decor_ = true;
  }

  void Text(PangoLayout* layout, double x, double y, Rgb color) {
    ops.push_back(
        {Op::Kind::kText, x, y, 0, 0, color, layout, 0, false, 0, element_, decor_, nullptr});
  }
  void Fill(double x, double y, double w, double h, Rgb color, double radius = 0) {
    ops.push_back(
        {Op::Kind::kFill, x, y, w, h, color, nullptr, 0, false, radius, element_, decor_, nullptr});
  }
  // A rectangle outline, stroked `width` wide.
  void Frame(double x, double y, double w, double h, Rgb color, double width, double radius) {
    ops.push_back({Op::Kind::kFrame, x, y, w, h, color, nullptr, width, false, radius, element_,
                   decor_, nullptr});
  }
  void Line(double x1, double y1, double x2, double y2, Rgb color, double width,
            bool dashed = false) {
    ops.push_back({Op::Kind::kLine, x1, y1, x2 - x1, y2 - y1, color, nullptr, width, dashed, 0,
                   element_, decor_, nullptr});
  }
  // `image` scaled into the box (x, y, w, h).
  void Image(cairo_surface_t* image, double x, double y, double w, double h) {
    ops.push_back(
        {Op::Kind::kImage, x, y, w, h, kInk, nullptr, 0, false, 0, element_, decor_, image});
  }
  // Stacks `below` under this block.
  void Append(const Block& below) {
    for (Op op : below.ops) {
      op.y += height;
      ops.push_back(op);
    }
    for (Anchor a : below.anchors) {
      a.y += height;
      anchors.push_back(std::move(a));
    }
    height += below.height;
  }

 private:
  int element_ = -1;
  bool decor_ = false;
};

// One element of the PDF's structure tree (SPEC §4, "Accessible"): its
// standard type ("H1", "TD", …), its parent and children by index. Only a
// leaf (no children) has content of its own.
struct StructElement {
  const char* type;
  int parent;
  std::vector<int> children;
  std::string alt;  // a Figure's alternative text
};

// Whether a text is the report's own data (a name, an email, a section) or
// words of the document's language: in a right-to-left document, data that
// does not start right to left is laid out left to right, so a phone number
// keeps its order (the page isolates it in <bdi dir="ltr"> likewise).
enum class TextKind { kLabel, kData };

// Measures text and flows blocks onto pages; drawing happens after, once the
// page count is known for the "Page N of M" footers. Also keeps the
// structure tree the layout builds: the blocks' ops name their elements.
class Document {
 public:
  static constexpr int kRoot = 0;  // the Document element

  // `context` lays out the document's own words (its base direction is the
  // document's); `ltr_context` the left-to-right data of a right-to-left
  // document. With `right_to_left`, every layout's alignment is swapped
  // (left ↔ right), because the pages are laid out left to right and
  // mirrored as they are drawn (DrawPage).
  Document(PangoContext* context, PangoContext* ltr_context, bool right_to_left)
      : context_(context), ltr_context_(ltr_context), right_to_left_(right_to_left) {
    pages_.emplace_back();
    elements_.push_back({"Document", -1, {}, {}});
  }

  // Adds an element of `type` as the last child of `parent`; returns its index.
  int NewElement(int parent, const char* type, std::string alt = {}) {
    int id = static_cast<int>(elements_.size());
    elements_.push_back({type, parent, {}, std::move(alt)});
    elements_[static_cast<size_t>(parent)].children.push_back(id);
    return id;
  }
  const std::vector<StructElement>& elements() const { return elements_; }

  // Each element's position in the tree's depth-first order: the reading
  // order, whatever the order the layout added them in.
  std::vector<int> ReadingOrder() const {
    std::vector<int> rank(elements_.size(), 0);
    std::vector<int> stack{kRoot};
    int next = 0;
    while (!stack.empty()) {
      int e = stack.back();
      stack.pop_back();
      rank[static_cast<size_t>(e)] = next++;
      const std::vector<int>& kids = elements_[static_cast<size_t>(e)].children;
      stack.insert(stack.end(), kids.rbegin(), kids.rend());
    }
    return rank;
  }

  // A wrapped paragraph `width` points wide. User text goes in with
  // set_text, never as markup, so "<b>" stays literal. The first
  // `bold_prefix` bytes are set bold (a run label such as "Proctoring:").
  // Equal requests share one layout: a document repeats "80%" and the like
  // hundreds of times, and shaping is a quarter of the work.
  PangoLayout* Text(std::string_view text, double size, bool bold, double width,
                    PangoAlignment align = PANGO_ALIGN_LEFT, size_t bold_prefix = 0,
                    TextKind kind = TextKind::kLabel) {
    PangoContext* context = context_;
    if (right_to_left_ && kind == TextKind::kData &&
        i18n::FirstStrongDirection(text) != i18n::Direction::kRightToLeft) {
      context = ltr_context_;
    }
    if (right_to_left_) {
      if (align == PANGO_ALIGN_LEFT) {
        align = PANGO_ALIGN_RIGHT;
      } else if (align == PANGO_ALIGN_RIGHT) {
        align = PANGO_ALIGN_LEFT;
      }
    }
    char params[96];
    int n = std::snprintf(params, sizeof params, "%a|%d|%a|%d|%zu|%d|", size, bold ? 1 : 0, width,
                          static_cast<int>(align), bold_prefix, context == context_ ? 0 : 1);
    std::string key(params, static_cast<size_t>(n));
    key.append(text);
    auto [it, inserted] = cache_.try_emplace(std::move(key), nullptr);
    if (!inserted) return it->second;
    PangoLayout* layout = pango_layout_new(context);
    layouts_.emplace_back(layout);
    it->second = layout;
    pango_layout_set_font_description(layout, Font(size, bold));
    // The base direction is the context's (the document's, or left to right
    // for data, above), not guessed from each text; alignment is absolute
    // (left is left), and bidi reordering inside the text still happens.
    pango_layout_set_auto_dir(layout, FALSE);
    pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
    pango_layout_set_height(layout, -kMaxLines);
    pango_layout_set_alignment(layout, align);
    // Breaking inside a long word must not add a hyphen: "a-b@x.com" would be
    // a different email address.
    PangoAttrList* attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
    if (bold_prefix > 0) {
      PangoAttribute* weight = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
      weight->start_index = 0;
      weight->end_index = static_cast<unsigned>(std::min(bold_prefix, text.size()));
      pango_attr_list_insert(attrs, weight);
    }
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);
    pango_layout_set_text(layout, text.data(), static_cast<int>(text.size()));
    return layout;
  }

  static double Height(PangoLayout* layout) {
    int w = 0, h = 0;
    pango_layout_get_size(layout, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }
  // The first line's baseline, from the top of the layout.
  static double Baseline(PangoLayout* layout) {
    return static_cast<double>(pango_layout_get_baseline(layout)) / PANGO_SCALE;
  }
  static double Width(PangoLayout* layout) {
    PangoRectangle ink, logical;
    pango_layout_get_extents(layout, &ink, &logical);
    return static_cast<double>(logical.width) / PANGO_SCALE;
  }

  // Puts `block` at the cursor, or on a new page if it does not fit there.
  // With `keep_with_next`, the block waits and goes down together with the
  // next one (a heading never ends a page).
  void Place(Block block, bool keep_with_next = false) {
    if (pending_) {
      Block merged = std::move(*pending_);
      pending_.reset();
      merged.Append(block);
      block = std::move(merged);
    }
    if (keep_with_next) {
      pending_ = std::move(block);
      return;
    }
    if (cursor_ > kTop && cursor_ + block.height > bottom_) {
      pages_.emplace_back();
      cursor_ = kTop;
    }
    for (Op op : block.ops) {
      op.y += cursor_;
      pages_.back().push_back(op);
    }
    for (Anchor a : block.anchors) {
      a.y += cursor_;
      a.page = static_cast<int>(pages_.size());
      anchors_.push_back(std::move(a));
    }
    cursor_ += block.height;
  }

  // Vertical space; dropped at the top of a page.
  void Gap(double dy) {
    if (pending_) {
      pending_->height += dy;
    } else if (cursor_ > kTop) {
      cursor_ += dy;
    }
  }

  void Finish() {
    if (pending_) Place(Block{});
  }

  const std::vector<std::vector<Op>>& pages() const { return pages_; }
  const std::vector<Anchor>& anchors() const { return anchors_; }

  // Where content stops on every page (higher when a branded footer text
  // takes room above the footer). Set before the first Place.
  void set_bottom(double bottom) { bottom_ = bottom; }

  // The logo as a Cairo image (premultiplied ARGB, as Cairo keeps it) for an
  // Op::Kind::kImage, kept until the document is drawn; nullptr if the PNG
  // does not decode (it was checked when stored: it does).
  cairo_surface_t* LogoImage(const domain::Logo& logo) {
    auto png = DecodePng(logo.png, domain::kMaxLogoPixels);
    if (!png) return nullptr;
    cairo_surface_t* surface =
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, png->width, png->height);
    images_.emplace_back(surface, cairo_surface_destroy);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) return nullptr;
    cairo_surface_flush(surface);
    unsigned char* data = cairo_image_surface_get_data(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    const auto* in = reinterpret_cast<const unsigned char*>(png->rgba.data());
    for (int y = 0; y < png->height; ++y) {
      auto* row = reinterpret_cast<uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
      for (int x = 0; x < png->width; ++x, in += 4) {
        const uint32_t a = in[3];
        auto pre = [a](uint32_t c) { return (c * a + 127) / 255; };
        row[x] = a << 24 | pre(in[0]) << 16 | pre(in[1]) << 8 | pre(in[2]);
      }
    }
    cairo_surface_mark_dirty(surface);
    return surface;
  }

 private:
  PangoContext* context_;
  PangoContext* ltr_context_;
  bool right_to_left_;
  // The description of the document's font at `size` points; made once per
  // size and weight (parsing the family list is not free).
  const PangoFontDescription* Font(double size, bool bold) {
    auto [it, inserted] = fonts_.try_emplace({static_cast<int>(size * PANGO_SCALE), bold}, nullptr);
    if (inserted) {
      it->second.reset(pango_font_description_from_string(kFamilies));
      pango_font_description_set_size(it->second.get(), it->first.first);
      pango_font_description_set_weight(it->second.get(),
                                        bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    }
    return it->second.get();
  }

  struct FontFree {
    void operator()(PangoFontDescription* f) const { pango_font_description_free(f); }
  };
  std::map<std::pair<int, bool>, std::unique_ptr<PangoFontDescription, FontFree>> fonts_;
  std::unordered_map<std::string, PangoLayout*> cache_;  // layouts owned by layouts_
  std::vector<GPtr<PangoLayout>> layouts_;
  std::vector<std::vector<Op>> pages_;
  std::vector<Anchor> anchors_;
  std::vector<StructElement> elements_;
  std::optional<Block> pending_;
  double cursor_ = kTop;
  double bottom_ = kBottom;
  std::vector<std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>> images_;
};

Rgb ScoreColor(const ReportView& v, double percentage) {
  if (!v.cut_off) return ToRgb(v.palette.primary);
  return ToRgb(percentage < *v.cut_off ? v.palette.fail : v.palette.pass);
}

// The logo (if any) and the company's name on the left, the kind of report
// on the right, over a rule in the primary colour. The logo is decoration,
// an artifact: the name beside it is the text.
void LayoutHeader(Document& doc, const ReportView& v) {
  Block top;
  cairo_surface_t* logo = v.logo ? doc.LogoImage(*v.logo) : nullptr;
  LogoSize logo_size;
  if (logo) {  // the decoded image's own size: the box fits what is drawn
    logo_size = FitLogo(cairo_image_surface_get_width(logo), cairo_image_surface_get_height(logo),
                        kLogoMaxWidth, kLogoMaxHeight, kPointsPerPixel);
  }
  // Capitals, not letter-spacing: spaced letters would not extract as words.
  PangoLayout* kind =
      doc.Text(v.labels.report_kind, 7.5, false, kContentWidth * 0.4, PANGO_ALIGN_RIGHT);
  // The name takes what the kind of report leaves (short in every language),
  // so a wide logo does not squeeze it into a narrow column.
  const double name_x = kMargin + (logo ? logo_size.width + 8 : 0);
  const double name_width = kContentWidth - std::min(Document::Width(kind), kContentWidth * 0.4) -
                            16 - (name_x - kMargin);
  PangoLayout* company =
      doc.Text(v.company_name, 12, true, name_width, PANGO_ALIGN_LEFT, 0, TextKind::kData);
  const double name_h = Document::Height(company);
  double h = std::max({name_h, Document::Height(kind), logo_size.height});
  const int company_p = doc.NewElement(Document::kRoot, "P");
  if (logo) {
    top.DecorOf(company_p);
    top.Image(logo, kMargin, (h - logo_size.height) / 2, logo_size.width, logo_size.height);
  }
  top.In(company_p);
  top.Text(company, name_x, (h - name_h) / 2, ToRgb(v.palette.primary));
  top.In(doc.NewElement(Document::kRoot, "P"));
  top.Text(kind, kMargin + kContentWidth * 0.6, h - Document::Height(kind), kMuted);
  top.Line(kMargin, h + 5, kMargin + kContentWidth, h + 5, ToRgb(v.palette.primary), 1.2);
  top.height = h + 14;
  doc.Place(std::move(top));

  Block name;
  PangoLayout* name_layout =
      doc.Text(v.candidate_name, 20, true, kContentWidth, PANGO_ALIGN_LEFT, 0, TextKind::kData);
  name.In(doc.NewElement(Document::kRoot, "H1"));
  name.Text(name_layout, kMargin, 0, kInk);
  name.height = Document::Height(name_layout) + 2;
  doc.Place(std::move(name), true);
  Block subtitle;
  PangoLayout* a = doc.Text(v.subtitle, 10, false, kContentWidth);
  subtitle.In(doc.NewElement(Document::kRoot, "P"));
  subtitle.Text(a, kMargin, 0, kMuted);
  subtitle.height = Document::Height(a);
  doc.Place(std::move(subtitle));
}

// Candidate details on the left, assessment details on the right; one block
// per line of the two columns so a row keeps its label and value together.
// Tagged as a table per column (a row: TH label, TD value), read column by
// column.
void LayoutDetails(Document& doc, const ReportView& v) {
  constexpr double kGutter = 24;
  constexpr double kColumn = (kContentWidth - kGutter) / 2;
  constexpr double kLabel = 92;
  // An anonymized report has no candidate details: the assessment's then
  // take the first column rather than leave it empty.
  const std::vector<LabeledValue> none;
  const std::vector<LabeledValue>* columns[2] = {&v.candidate_details, &v.assessment_details};
  if (v.candidate_details.empty()) {
    columns[0] = &v.assessment_details;
    columns[1] = &none;
  }
  size_t rows = std::max(v.candidate_details.size(), v.assessment_details.size());
  int tables[2] = {-1, -1};
  for (int c = 0; c < 2; ++c) {
    if (!columns[c]->empty()) tables[c] = doc.NewElement(Document::kRoot, "Table");
  }
  doc.Gap(10);
  for (size_t i = 0; i < rows; ++i) {
    // Label and value share their first baseline: an Arabic label's line is
    // taller than a Latin value's, so tops aligned would not line them up.
    PangoLayout* cells[4] = {};
    int elements[4] = {};
    double xs[4] = {};
    Rgb colors[4] = {kMuted, kInk, kMuted, kInk};
    double baseline = 0;
    for (int c = 0; c < 2; ++c) {
      if (i >= columns[c]->size()) continue;
      const LabeledValue& item = (*columns[c])[i];
      double x = kMargin + c * (kColumn + kGutter);
      cells[2 * c] =
          doc.Text(item.label, 9, false, kLabel - 6, PANGO_ALIGN_LEFT, 0, TextKind::kData);
      cells[2 * c + 1] =
          doc.Text(item.value, 9, false, kColumn - kLabel, PANGO_ALIGN_LEFT, 0, TextKind::kData);
      xs[2 * c] = x;
      xs[2 * c + 1] = x + kLabel;
      int tr = doc.NewElement(tables[c], "TR");
      elements[2 * c] = doc.NewElement(tr, "TH");
      elements[2 * c + 1] = doc.NewElement(tr, "TD");
    }
    for (PangoLayout* cell : cells) {
      if (cell != nullptr) baseline = std::max(baseline, Document::Baseline(cell));
    }
    Block row;
    double h = 0;
    for (int k = 0; k < 4; ++k) {
      if (cells[k] == nullptr) continue;
      double dy = baseline - Document::Baseline(cells[k]);
      row.In(elements[k]);
      row.Text(cells[k], xs[k], dy, colors[k]);
      h = std::max(h, dy + Document::Height(cells[k]));
    }
    row.height = h + 3;
    doc.Place(std::move(row));
  }
}

// The overall score, the cut-off and margin, and the verdict as a pill; then
// the proctoring note. Each is one block: a box never breaks across pages.
// The box is a Div of paragraphs; its frame and the pill are artifacts.
void LayoutScore(Document& doc, const ReportView& v) {
  doc.Gap(14);
  Block box;
  const int div = doc.NewElement(Document::kRoot, "Div");
  const int caption_p = doc.NewElement(div, "P");
  constexpr double kPad = 12;
  constexpr double kPillWidth = 150;
  Rgb color = v.overall ? ScoreColor(v, *v.overall) : kInk;
  PangoLayout* caption = doc.Text(v.labels.overall_score, 7.5, false, 150);
  PangoLayout* score = doc.Text(v.overall_text, 26, true, 150);
  double left_h = Document::Height(caption) + Document::Height(score);
  box.In(caption_p);
  box.Text(caption, kMargin + kPad, kPad, kMuted);
  box.In(doc.NewElement(div, "P"));
  box.Text(score, kMargin + kPad, kPad + Document::Height(caption), color);
  double h = left_h;
  double middle_x = kMargin + kPad + 150;
  double middle_w = kContentWidth - 2 * kPad - 150 - kPillWidth - 12;
  if (!v.cut_off_text.empty()) {
    std::string text = v.cut_off_text;
    if (!v.margin_text.empty()) text += "\n" + v.margin_text;
    PangoLayout* cut = doc.Text(text, 9.5, false, middle_w);
    double ch = Document::Height(cut);
    h = std::max(h, ch);
    box.In(doc.NewElement(div, "P"));
    box.Text(cut, middle_x, kPad + (h - ch) / 2, kInk);
  }
  if (v.verdict != Verdict::kNone) {
    PangoLayout* verdict = doc.Text(v.verdict_text, 9.5, true, kPillWidth - 16, PANGO_ALIGN_CENTER);
    double vh = Document::Height(verdict);
    double pill_h = vh + 8;
    double pill_y = kPad + (h - pill_h) / 2;
    double pill_x = kMargin + kContentWidth - kPad - kPillWidth;
    const int verdict_p = doc.NewElement(div, "P");
    box.DecorOf(verdict_p);
    box.Fill(pill_x, pill_y, kPillWidth, pill_h,
             ToRgb(v.verdict == Verdict::kPassed ? v.palette.pass : v.palette.fail), pill_h / 2);
    box.In(verdict_p);
    box.Text(verdict, pill_x + 8, pill_y + 4, kWhite);
  }
  h += 2 * kPad;
  box.DecorOf(caption_p);
  box.Frame(kMargin, 0, kContentWidth, h, kRule, 1, 6);
  box.height = h;
  doc.Place(std::move(box));

  if (!v.proctoring_note.empty()) {
    doc.Gap(10);
    Block note;
    const std::string label = v.labels.proctoring + " ";
    PangoLayout* text = doc.Text(label + v.proctoring_note, 9, false, kContentWidth - 20,
                                 PANGO_ALIGN_LEFT, label.size() - 1);
    double th = Document::Height(text);
    const int p = doc.NewElement(Document::kRoot, "P");
    note.DecorOf(p);
    note.Fill(kMargin, 0, kContentWidth, th + 12, kNoteBg);
    note.Fill(kMargin, 0, 3, th + 12, kNoteBar);
    note.In(p);
    note.Text(text, kMargin + 12, 6, kInk);
    note.height = th + 12;
    doc.Place(std::move(note));
  }
}

Block Heading(Document& doc, std::string_view text, Rgb color) {
  Block b;
  PangoLayout* layout = doc.Text(text, 13, true, kContentWidth);
  double h = Document::Height(layout);
  const int heading = doc.NewElement(Document::kRoot, "H2");
  b.In(heading);
  b.Text(layout, kMargin, 0, color);
  b.DecorOf(heading);
  b.Line(kMargin, h + 3, kMargin + kContentWidth, h + 3, kRule, 0.8);
  b.height = h + 10;
  b.anchors.push_back({std::string(text), 0, 0, false});
  return b;
}

// The line that stands in for the chart or the tables of a report with no sections.
void PlaceNoSections(Document& doc, const ReportView& v) {
  Block none;
  PangoLayout* text = doc.Text(v.labels.no_sections, 9.5, false, kContentWidth);
  none.In(doc.NewElement(Document::kRoot, "P"));
  none.Text(text, kMargin, 0, kMuted);
  none.height = Document::Height(text);
  doc.Place(std::move(none));
}

// Horizontal bars, one row per section, the cut-off as a dashed line drawn
// through every row (so it stays continuous on each page). Tagged as one
// Figure whose /Alt states every score and the cut-off (v.chart_alt); its
// parts (legend, rows, axis) are its children, one per block, so a chart
// that breaks across pages is still one figure.
void LayoutChart(Document& doc, const ReportView& v) {
  doc.Gap(18);
  doc.Place(Heading(doc, v.labels.section_scores, ToRgb(v.palette.primary)), true);
  if (v.sections.empty()) return PlaceNoSections(doc, v);
  constexpr double kLabel = 150;
  constexpr double kBarX = kMargin + kLabel + 10;
  constexpr double kBarWidth = kContentWidth - kLabel - 10 - 44;
  constexpr double kBarHeight = 10;
  auto x_of = [](double percentage) { return kBarX + kBarWidth * percentage / 100; };
  const int figure = doc.NewElement(Document::kRoot, "Figure", v.chart_alt);

  if (v.cut_off) {
    Block legend;
    PangoLayout* text = doc.Text(v.cut_off_text, 8, false, 120);
    double w = Document::Width(text);
    double x = std::clamp(x_of(*v.cut_off) - w / 2, kBarX, kBarX + kBarWidth - w);
    legend.In(doc.NewElement(figure, "Span"));
    legend.Text(text, x, 0, kInk);
    legend.height = Document::Height(text) + 2;
    doc.Place(std::move(legend), true);
  }
  for (const SectionView& s : v.sections) {
    Block row;
    PangoLayout* label = doc.Text(s.name, 9, false, kLabel, PANGO_ALIGN_RIGHT, 0, TextKind::kData);
    PangoLayout* value = doc.Text(s.percent_text, 9, false, 40);
    double h = std::max(Document::Height(label), kBarHeight + 4) + 6;
    double bar_y = (h - kBarHeight) / 2;
    row.In(doc.NewElement(figure, "Span"));
    row.Text(label, kMargin, (h - Document::Height(label)) / 2, kInk);
    row.Fill(kBarX, bar_y, kBarWidth, kBarHeight, kTrack, 2);
    row.Fill(kBarX, bar_y, kBarWidth * s.percentage / 100, kBarHeight, ScoreColor(v, s.percentage),
             2);
    row.Text(value, kBarX + kBarWidth + 6, (h - Document::Height(value)) / 2, kInk);
    if (v.cut_off) {
      // A white edge where it crosses the bar keeps the line visible on a
      // bar of any colour (a brand's may be as dark as the line).
      const double x = x_of(*v.cut_off);
      row.Line(x, bar_y, x, bar_y + kBarHeight, kWhite, 2.6);
      row.Line(x, 0, x, h, kInk, 1, true);
    }
    row.height = h;
    doc.Place(std::move(row));
  }
  Block axis;
  axis.In(doc.NewElement(figure, "Span"));
  axis.Line(kBarX, 0, kBarX + kBarWidth, 0, kRule, 0.8);
  double h = 0;
  for (size_t i = 0; i < v.chart_ticks.size(); ++i) {
    double tick = 100.0 * static_cast<double>(i) / static_cast<double>(v.chart_ticks.size() - 1);
    PangoLayout* text = doc.Text(v.chart_ticks[i], 7.5, false, 40, PANGO_ALIGN_CENTER);
    axis.Text(text, x_of(tick) - 20, 3, kMuted);
    axis.Line(x_of(tick), 0, x_of(tick), 3, kRule, 0.8);
    h = std::max(h, Document::Height(text));
  }
  axis.height = h + 4;
  doc.Place(std::move(axis));
}

void LayoutSkills(Document& doc, const ReportView& v) {
  doc.Gap(18);
  doc.Place(Heading(doc, v.labels.skill_scores, ToRgb(v.palette.primary)), true);
  if (v.sections.empty()) return PlaceNoSections(doc, v);
  constexpr double kPct = 48;
  constexpr double kBar = 100;
  constexpr double kName = kContentWidth - 16 - kBar - kPct - 16;
  constexpr double kShortSection = (kBottom - kTop) / 2;
  for (size_t i = 0; i < v.sections.size(); ++i) {
    const SectionView& s = v.sections[i];
    if (i > 0) doc.Gap(8);
    // A table per section: THead > TR > TH name, TH score; TBody > TR > TH
    // skill, TD score. The shading, bars and rules are artifacts.
    const int table = doc.NewElement(Document::kRoot, "Table");
    const int head_row = doc.NewElement(doc.NewElement(table, "THead"), "TR");
    const int body = doc.NewElement(table, "TBody");
    const int name_th = doc.NewElement(head_row, "TH");
    Block header;
    PangoLayout* name = doc.Text(s.name, 10, true, kContentWidth - 16 - kPct - 8, PANGO_ALIGN_LEFT,
                                 0, TextKind::kData);
    PangoLayout* pct = doc.Text(s.percent_text, 10, true, kPct, PANGO_ALIGN_RIGHT);
    double h = Document::Height(name) + 8;
    header.DecorOf(name_th);
    header.Fill(kMargin, 0, kContentWidth, h, kShade);
    header.In(name_th);
    header.Text(name, kMargin + 8, 4, kInk);
    header.In(doc.NewElement(head_row, "TH"));
    header.Text(pct, kMargin + kContentWidth - 8 - kPct, 4, ScoreColor(v, s.percentage));
    header.height = h;
    header.anchors.push_back({s.name, 0, 0, true});
    std::vector<Block> rows;
    rows.reserve(std::max<size_t>(s.skills.size(), 1));
    if (s.skills.empty()) {
      Block none;
      PangoLayout* text = doc.Text(v.labels.no_skills, 9, false, kName);
      none.In(doc.NewElement(doc.NewElement(body, "TR"), "TD"));
      none.Text(text, kMargin + 8, 3, kMuted);
      none.height = Document::Height(text) + 6;
      rows.push_back(std::move(none));
    }
    for (const SkillView& k : s.skills) {
      Block row;
      PangoLayout* skill = doc.Text(k.name, 9, false, kName, PANGO_ALIGN_LEFT, 0, TextKind::kData);
      PangoLayout* value = doc.Text(k.percent_text, 9, false, kPct, PANGO_ALIGN_RIGHT);
      double rh = std::max(Document::Height(skill), 12.0) + 6;
      double bar_x = kMargin + kContentWidth - 8 - kPct - 8 - kBar;
      const int tr = doc.NewElement(body, "TR");
      row.In(doc.NewElement(tr, "TH"));
      row.Text(skill, kMargin + 8, (rh - Document::Height(skill)) / 2, kInk);
      const int td = doc.NewElement(tr, "TD");
      row.DecorOf(td);
      row.Fill(bar_x, rh / 2 - 2.5, kBar, 5, kTrack, 2.5);
      row.Fill(bar_x, rh / 2 - 2.5, kBar * k.percentage / 100, 5, ScoreColor(v, k.percentage), 2.5);
      row.Line(kMargin, rh, kMargin + kContentWidth, rh, kTrack, 0.6);
      row.In(td);
      row.Text(value, kMargin + kContentWidth - 8 - kPct, (rh - Document::Height(value)) / 2, kInk);
      row.height = rh;
      rows.push_back(std::move(row));
    }
    double total = header.height;
    for (const Block& row : rows) total += row.height;
    if (total <= kShortSection) {
      // A short section stays whole: no lone last row on the next page.
      for (const Block& row : rows) header.Append(row);
      doc.Place(std::move(header));
    } else {
      // A long one breaks between rows; its header goes down with its first
      // row, never alone.
      doc.Place(std::move(header), true);
      for (Block& row : rows) doc.Place(std::move(row));
    }
  }
}

void SetColor(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

bool IsColorFont(PangoFont* font) {
  hb_face_t* face = hb_font_get_face(pango_font_get_hb_font(font));
  return hb_ot_color_has_png(face) || hb_ot_color_has_layers(face) || hb_ot_color_has_svg(face);
}

// Cairo 1.16 paints color glyphs (emoji) as images and drops their text, so
// pdftotext would not see them. For each such run this draws one space glyph
// of a plain font in its place, mapped to the run's text: Cairo writes it as
// an ActualText span, which extractors read. A space leaves no mark.
class ColorTextMapper {
 public:
  explicit ColorTextMapper(PangoContext* context) {
    PangoFontDescription* desc = pango_font_description_from_string("Noto Sans 9");
    font_.reset(pango_font_map_load_font(ThreadFontMap(), context, desc));
    pango_font_description_free(desc);
    if (font_ != nullptr && PANGO_IS_CAIRO_FONT(font_.get())) {
      scaled_ = pango_cairo_font_get_scaled_font(PANGO_CAIRO_FONT(font_.get()));
      hb_codepoint_t gid = 0;
      if (hb_font_get_nominal_glyph(pango_font_get_hb_font(font_.get()), ' ', &gid)) space_ = gid;
    }
  }

  void Map(cairo_t* cr, PangoLayout* layout, double x, double y) const {
    if (scaled_ == nullptr || space_ == 0) return;
    const char* text = pango_layout_get_text(layout);
    PangoLayoutIter* iter = pango_layout_get_iter(layout);
    do {
      PangoLayoutRun* run = pango_layout_iter_get_run_readonly(iter);
      if (run == nullptr || !IsColorFont(run->item->analysis.font)) continue;
      PangoRectangle logical;
      pango_layout_iter_get_run_extents(iter, nullptr, &logical);
      double baseline = static_cast<double>(pango_layout_iter_get_baseline(iter)) / PANGO_SCALE;
      cairo_glyph_t glyph{space_, x + static_cast<double>(logical.x) / PANGO_SCALE, y + baseline};
      cairo_text_cluster_t cluster{run->item->length, 1};
      cairo_set_scaled_font(cr, scaled_);
      cairo_show_text_glyphs(cr, text + run->item->offset, run->item->length, &glyph, 1, &cluster,
                             1, static_cast<cairo_text_cluster_flags_t>(0));
    } while (pango_layout_iter_next_run(iter));
    pango_layout_iter_free(iter);
  }

 private:
  GPtr<PangoFont> font_;
  cairo_scaled_font_t* scaled_ = nullptr;  // owned by font_
  unsigned long space_ = 0;
};

// The rectangle of `op`, with its corners rounded by up to `op.radius`.
void Path(cairo_t* cr, const Op& op) {
  double r = std::min({op.radius, op.w / 2, op.h / 2});
  if (r <= 0) {
    cairo_rectangle(cr, op.x, op.y, op.w, op.h);
    return;
  }
  constexpr double kQuarter = G_PI / 2;
  cairo_new_sub_path(cr);
  cairo_arc(cr, op.x + op.w - r, op.y + r, r, -kQuarter, 0);
  cairo_arc(cr, op.x + op.w - r, op.y + op.h - r, r, 0, kQuarter);
  cairo_arc(cr, op.x + r, op.y + op.h - r, r, kQuarter, 2 * kQuarter);
  cairo_arc(cr, op.x + r, op.y + r, r, 2 * kQuarter, 3 * kQuarter);
  cairo_close_path(cr);
}

// pdftotext reads a right-to-left line in visual order and reverses it
// character by character, so the text of a ligature glyph, written in
// logical order, comes out backwards ("ليلى" as "ليىل"). When a layout has
// such runs, this draws it run by run and hands Cairo the characters of each
// multi-character RTL cluster in reverse: the ToUnicode entry then reads in
// visual order, and the extractor's reversal restores the logical order.
// Shaping, glyphs and positions are Pango's, untouched. Returns false (and
// draws nothing) when the layout has no RTL cluster of several characters.
bool ShowRtlLigatures(cairo_t* cr, PangoLayout* layout, double x, double y) {
  const char* text = pango_layout_get_text(layout);
  std::string visual;  // `text` with each RTL multi-character cluster reversed
  PangoLayoutIter* iter = pango_layout_get_iter(layout);
  do {
    PangoLayoutRun* run = pango_layout_iter_get_run_readonly(iter);
    if (run == nullptr || run->item->analysis.level % 2 == 0) continue;
    const PangoGlyphString* g = run->glyphs;
    const int offset = run->item->offset;
    // log_clusters are byte offsets into the item; in an RTL run they
    // descend, glyphs being in visual order.
    for (int i = 0; i < g->num_glyphs; ++i) {
      int start = offset + g->log_clusters[i];
      if (i + 1 < g->num_glyphs && g->log_clusters[i + 1] == g->log_clusters[i]) continue;
      int next = offset + run->item->length;
      for (int j = i; j >= 0; --j) {
        if (g->log_clusters[j] != g->log_clusters[i]) {
          next = offset + g->log_clusters[j];
          break;
        }
      }
      const char* first = text + start;
      const char* last = text + next;
      if (g_utf8_next_char(first) >= last) continue;  // one character
      if (visual.empty()) visual = text;
      // Reverse the characters of [first, last) in `visual`.
      std::string cluster;
      for (const char* c = first; c < last;) {
        const char* n = g_utf8_next_char(c);
        cluster.insert(0, c, static_cast<size_t>(n - c));
        c = n;
      }
      visual.replace(static_cast<size_t>(start), cluster.size(), cluster);
    }
  } while (pango_layout_iter_next_run(iter));
  pango_layout_iter_free(iter);
  if (visual.empty()) return false;

  iter = pango_layout_get_iter(layout);
  do {
    PangoLayoutRun* run = pango_layout_iter_get_run_readonly(iter);
    if (run == nullptr) continue;
    PangoRectangle logical;
    pango_layout_iter_get_run_extents(iter, nullptr, &logical);
    double baseline = static_cast<double>(pango_layout_iter_get_baseline(iter)) / PANGO_SCALE;
    cairo_move_to(cr, x + static_cast<double>(logical.x) / PANGO_SCALE, y + baseline);
    pango_cairo_show_glyph_item(cr, visual.c_str(), run);
  } while (pango_layout_iter_next_run(iter));
  pango_layout_iter_free(iter);
  return true;
}

void Draw(cairo_t* cr, const Op& op, const ColorTextMapper& mapper) {
  SetColor(cr, op.color);
  switch (op.kind) {
    case Op::Kind::kText:
      if (!ShowRtlLigatures(cr, op.layout, op.x, op.y)) {
        cairo_move_to(cr, op.x, op.y);
        pango_cairo_show_layout(cr, op.layout);
      }
      mapper.Map(cr, op.layout, op.x, op.y);
      break;
    case Op::Kind::kFill:
      if (op.w <= 0 || op.h <= 0) break;
      if (op.radius * 2 >= op.h) {
        // A pill (a skill bar) as one stroke with round caps: a few numbers in
        // the content stream instead of four arcs, for hundreds of bars.
        double r = op.h / 2;
        cairo_set_line_width(cr, op.h);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, nullptr, 0, 0);
        cairo_move_to(cr, op.x + r, op.y + r);
        cairo_line_to(cr, std::max(op.x + r, op.x + op.w - r), op.y + r);
        cairo_stroke(cr);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        break;
      }
      Path(cr, op);
      cairo_fill(cr);
      break;
    case Op::Kind::kFrame:
      cairo_set_line_width(cr, op.line_width);
      cairo_set_dash(cr, nullptr, 0, 0);
      Path(cr, op);
      cairo_stroke(cr);
      break;
    case Op::Kind::kImage: {
      if (op.image == nullptr || op.w <= 0 || op.h <= 0) break;
      cairo_save(cr);
      cairo_translate(cr, op.x, op.y);
      cairo_scale(cr, op.w / cairo_image_surface_get_width(op.image),
                  op.h / cairo_image_surface_get_height(op.image));
      cairo_set_source_surface(cr, op.image, 0, 0);
      cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
      // A rectangle filled with the image, not cairo_paint: cairo 1.16
      // fails a tagged page that paints an image (CAIRO_STATUS_TAG_ERROR at
      // cairo_show_page). The fill still becomes one image XObject ("Do").
      cairo_rectangle(cr, 0, 0, cairo_image_surface_get_width(op.image),
                      cairo_image_surface_get_height(op.image));
      cairo_fill(cr);
      cairo_restore(cr);
      break;
    }
    case Op::Kind::kLine: {
      static constexpr double kDash[] = {3, 2};
      cairo_set_line_width(cr, op.line_width);
      cairo_set_dash(cr, kDash, op.dashed ? 2 : 0, 0);
      cairo_move_to(cr, op.x, op.y);
      cairo_line_to(cr, op.x + op.w, op.y + op.h);
      cairo_stroke(cr);
      break;
    }
  }
}

// `op` as drawn in a right-to-left document: pages are laid out left to
// right and every x mirrored about the page's middle (a box [x, x + w]
// becomes [W − x − w, W − x]); text layouts already have their alignment
// swapped and their base direction set (Document::Text).
Op Mirrored(Op op) {
  switch (op.kind) {
    case Op::Kind::kText:
      op.x =
          kPageWidth - op.x - static_cast<double>(pango_layout_get_width(op.layout)) / PANGO_SCALE;
      break;
    case Op::Kind::kFill:
    case Op::Kind::kFrame:
    case Op::Kind::kImage:
      op.x = kPageWidth - op.x - op.w;
      break;
    case Op::Kind::kLine:
      op.x = kPageWidth - op.x;
      op.w = -op.w;
      break;
  }
  return op;
}

// Opens and closes Cairo's structure tags as the ops of a page are drawn:
// the path from the Document to the element drawn is open, containers stay
// open across pages (a table that breaks is one table), and decoration is
// drawn inside kArtifactTag, which FinishTaggedPdf turns into artifacts.
// Cairo 1.16 marks only content drawn while a leaf is the innermost open tag,
// so only leaves hold content, and a leaf, once closed, is never reopened:
// ops come sorted by element (SortedForReading) and a leaf's lie in one block.
class TagWriter {
 public:
  TagWriter(cairo_t* cr, const std::vector<StructElement>& elements)
      : cr_(cr), elements_(elements) {
    Open(Document::kRoot);
  }

  // Content of the leaf `element` follows.
  void Content(int element) {
    EndArtifact();
    if (!open_.empty() && open_.back() == element) return;
    std::vector<int> path;
    for (int e = element; e >= 0; e = Of(e).parent) path.push_back(e);
    std::reverse(path.begin(), path.end());
    size_t common = 0;
    while (common < open_.size() && common < path.size() && open_[common] == path[common]) {
      ++common;
    }
    while (open_.size() > common) Close();
    for (size_t i = common; i < path.size(); ++i) Open(path[i]);
  }

  // Decoration follows.
  void Artifact() {
    if (in_artifact_) return;
    CloseLeaf();
    cairo_tag_begin(cr_, kArtifactTag, "");
    in_artifact_ = true;
  }

  // Before cairo_show_page: nothing of this page stays open but containers.
  void EndPage() {
    EndArtifact();
    CloseLeaf();
  }

  void Finish() {
    EndPage();
    while (!open_.empty()) Close();
  }

 private:
  const StructElement& Of(int e) const { return elements_[static_cast<size_t>(e)]; }
  void Open(int e) {
    cairo_tag_begin(cr_, Of(e).type, "");
    open_.push_back(e);
  }
  void Close() {
    cairo_tag_end(cr_, Of(open_.back()).type);
    open_.pop_back();
  }
  void CloseLeaf() {
    if (!open_.empty() && Of(open_.back()).children.empty()) Close();
  }
  void EndArtifact() {
    if (!in_artifact_) return;
    cairo_tag_end(cr_, kArtifactTag);
    in_artifact_ = false;
  }

  cairo_t* cr_;
  const std::vector<StructElement>& elements_;
  std::vector<int> open_;  // from the Document down
  bool in_artifact_ = false;
};

// A page's ops as they are drawn: all its decoration first (one artifact,
// under everything: it is backgrounds, bars and rules), then the content in
// reading order (by element); the order of drawing within each is kept.
// One artifact a page rather than one between every two cells keeps the
// marked content, the stand-ins and so the tagging's cost small.
std::vector<const Op*> SortedForReading(const std::vector<Op>& ops, const std::vector<int>& rank) {
  std::vector<const Op*> sorted;
  sorted.reserve(ops.size());
  for (const Op& op : ops) sorted.push_back(&op);
  std::stable_sort(sorted.begin(), sorted.end(), [&rank](const Op* a, const Op* b) {
    if (a->decor != b->decor) return a->decor;
    if (a->decor) return false;
    return rank[static_cast<size_t>(a->element)] < rank[static_cast<size_t>(b->element)];
  });
  return sorted;
}

// A PangoCairo context for the document: 72 dpi, unrounded glyph positions,
// no hinting, the document's language and the given base direction.
GPtr<PangoContext> NewContext(cairo_t* cr, Language language, PangoDirection base_dir) {
  GPtr<PangoContext> context(pango_font_map_create_context(ThreadFontMap()));
  pango_cairo_update_context(cr, context.get());
  // Pango assumes 96 dpi; PDF units are points.
  pango_cairo_context_set_resolution(context.get(), 72);
  // Pango rounds glyph positions to whole points otherwise: uneven spacing.
  pango_context_set_round_glyph_positions(context.get(), FALSE);
  // The document's language, not the process locale's, so font fallback
  // (e.g. which CJK face) and language-specific shaping depend only on the
  // input, not on the environment.
  pango_context_set_language(
      context.get(),
      pango_language_from_string(std::string(domain::LanguageTag(language)).c_str()));
  pango_context_set_base_dir(context.get(), base_dir);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(context.get(), options);
  cairo_font_options_destroy(options);
  return context;
}

// The watermark (SPEC §5): its text centred in a box this wide, which fits
// the page whole at kWatermarkAngle wherever a copy is centred (below), so
// every copy extracts whole. A very long recipient wraps.
constexpr double kWatermarkWidth = 600;
constexpr double kWatermarkAngle = -35 * G_PI / 180;  // rising to the right
constexpr double kWatermarkSize = 15;

PangoLayout* WatermarkLayout(Document& doc, const ReportView& v) {
  if (v.watermark_text.empty()) return nullptr;
  return doc.Text(v.watermark_text, kWatermarkSize, true, kWatermarkWidth, PANGO_ALIGN_CENTER);
}

// Draws `layout` at (x, y) so that its whole text extracts as one word: each
// run's glyphs form one cluster, which Cairo writes as an /ActualText span;
// the first run's span carries the layout's entire text and the others an
// empty one. For turned text this is what makes it extractable: pdftotext
// builds words from characters that share a baseline, so a diagonal line of
// ordinary glyphs comes out a letter or two at a time, and per-run spans
// would scatter a mixed-direction line (an Arabic date beside a Latin link
// id). The text is given in visual order (runs left to right, a right-to-left
// run's characters reversed), as extractors expect glyphs to come: their
// reordering to logical order then restores it (as in ShowRtlLigatures).
// Glyphs and positions are Pango's, as pango_cairo_show_layout draws them.
void ShowRunsAsSpans(cairo_t* cr, PangoLayout* layout, double x, double y) {
  const char* text = pango_layout_get_text(layout);
  std::string visual;
  PangoLayoutIter* runs = pango_layout_get_iter(layout);
  do {
    PangoLayoutRun* run = pango_layout_iter_get_run_readonly(runs);
    if (run == nullptr) continue;
    const char* begin = text + run->item->offset;
    const char* end = begin + run->item->length;
    if (run->item->analysis.level % 2 == 0) {
      visual.append(begin, end);
      continue;
    }
    std::string reversed;
    for (const char* c = begin; c < end;) {
      const char* n = g_utf8_next_char(c);
      reversed.insert(0, c, static_cast<size_t>(n - c));
      c = n;
    }
    visual += reversed;
  } while (pango_layout_iter_next_run(runs));
  pango_layout_iter_free(runs);

  std::vector<cairo_glyph_t> glyphs;
  bool first = true;
  PangoLayoutIter* iter = pango_layout_get_iter(layout);
  do {
    PangoLayoutRun* run = pango_layout_iter_get_run_readonly(iter);
    if (run == nullptr || !PANGO_IS_CAIRO_FONT(run->item->analysis.font)) continue;
    PangoRectangle logical;
    pango_layout_iter_get_run_extents(iter, nullptr, &logical);
    const double baseline =
        y + static_cast<double>(pango_layout_iter_get_baseline(iter)) / PANGO_SCALE;
    double advance = x + static_cast<double>(logical.x) / PANGO_SCALE;
    glyphs.clear();
    const PangoGlyphString* g = run->glyphs;
    for (int i = 0; i < g->num_glyphs; ++i) {
      const PangoGlyphInfo& info = g->glyphs[i];
      if (info.glyph != PANGO_GLYPH_EMPTY && (info.glyph & PANGO_GLYPH_UNKNOWN_FLAG) == 0) {
        glyphs.push_back({info.glyph,
                          advance + static_cast<double>(info.geometry.x_offset) / PANGO_SCALE,
                          baseline + static_cast<double>(info.geometry.y_offset) / PANGO_SCALE});
      }
      advance += static_cast<double>(info.geometry.width) / PANGO_SCALE;
    }
    if (glyphs.empty()) continue;
    cairo_set_scaled_font(
        cr, pango_cairo_font_get_scaled_font(PANGO_CAIRO_FONT(run->item->analysis.font)));
    const int bytes = first ? static_cast<int>(visual.size()) : 0;
    first = false;
    cairo_text_cluster_t cluster{bytes, static_cast<int>(glyphs.size())};
    cairo_show_text_glyphs(cr, visual.c_str(), bytes, glyphs.data(),
                           static_cast<int>(glyphs.size()), &cluster, 1,
                           static_cast<cairo_text_cluster_flags_t>(0));
  } while (pango_layout_iter_next_run(iter));
  pango_layout_iter_free(iter);
}

// Draws the watermark three times down the page, turned, over the content:
// light grey and translucent, so whatever lies under it stays readable. Real
// text, in the document's fonts, extractable (ShowRunsAsSpans).
void DrawWatermark(cairo_t* cr, PangoLayout* layout) {
  const double height = Document::Height(layout);
  for (double centre_y : {kPageHeight * 0.22, kPageHeight * 0.5, kPageHeight * 0.78}) {
    cairo_save(cr);
    cairo_translate(cr, kPageWidth / 2, centre_y);
    cairo_rotate(cr, kWatermarkAngle);
    cairo_set_source_rgba(cr, 0.45, 0.48, 0.53, 0.2);
    ShowRunsAsSpans(cr, layout, -kWatermarkWidth / 2, -height / 2);
    cairo_restore(cr);
  }
}

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<std::string> RenderReportPdf(const ReportView& view, Instant generated_at) {
  // cairo 1.16 is not safe with PDF surfaces on several threads at once: its
  // scaled fonts are shared process-wide, and finishing two surfaces that
  // subset the same font concurrently corrupts the heap (seen here under
  // ASan: a bad free inside cairo_surface_finish when the server's workers
  // warmed up together). So one PDF is rendered at a time; Pango layout state
  // stays per thread, and the PDF cache keeps repeated renders off this path.
  static core::Mutex cairo_pdf_mutex;
  core::MutexLock cairo_lock(cairo_pdf_mutex);
  std::string out;
  out.reserve(64 * 1024);
  cairo_surface_t* surface =
      cairo_pdf_surface_create_for_stream(AppendToString, &out, kPageWidth, kPageHeight);
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface_owner(
      surface, cairo_surface_destroy);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    return Status::Internal("PDF rendering failed");
  }
  std::string date = core::FormatRfc3339Seconds(generated_at);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, view.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, view.company_name.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, view.assessment_name.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "reportshare");
  // Fixed dates (not "now") make the bytes a function of the input.
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, date.c_str());

  cairo_t* cr = cairo_create(surface);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr_owner(cr, cairo_destroy);

  // Two contexts alike but for their base direction: the document's (right
  // to left for ar), and left to right for the data of a right-to-left
  // document (Document::Text).
  const PangoDirection base_dir = view.right_to_left ? PANGO_DIRECTION_RTL : PANGO_DIRECTION_LTR;
  GPtr<PangoContext> context = NewContext(cr, view.language, base_dir);
  GPtr<PangoContext> ltr_context = NewContext(cr, view.language, PANGO_DIRECTION_LTR);

  Document doc(context.get(), ltr_context.get(), view.right_to_left);
  // A branded footer text sits under the footer line of every page; the
  // content stops higher by as much as it takes.
  PangoLayout* brand_note = view.footer_text.empty()
                                ? nullptr
                                : doc.Text(view.footer_text, 7.5, false, kContentWidth,
                                           PANGO_ALIGN_LEFT, 0, TextKind::kData);
  const double note_h = brand_note ? Document::Height(brand_note) + 3 : 0;
  doc.set_bottom(kBottom - note_h);
  LayoutHeader(doc, view);
  LayoutDetails(doc, view);
  LayoutScore(doc, view);
  LayoutChart(doc, view);
  LayoutSkills(doc, view);
  doc.Finish();
  // The footer's text is read once, at the end: on the last page (every
  // page's footer and "Page N of M" is pagination, an artifact, elsewhere).
  const int footer_p = doc.NewElement(Document::kRoot, "P");
  const int note_p = brand_note ? doc.NewElement(Document::kRoot, "P") : -1;
  for (const std::vector<Op>& page : doc.pages()) {
    for (const Op& op : page) {
      if (op.element < 0) return Status::Internal("PDF rendering drew outside the structure");
    }
  }
  const std::vector<int> rank = doc.ReadingOrder();
  std::vector<std::string> figure_alt;
  std::vector<int> by_rank(rank.size());
  for (size_t e = 0; e < rank.size(); ++e)
    by_rank[static_cast<size_t>(rank[e])] = static_cast<int>(e);
  for (int e : by_rank) {
    const StructElement& element = doc.elements()[static_cast<size_t>(e)];
    if (std::string_view(element.type) == "Figure") figure_alt.push_back(element.alt);
  }

  ColorTextMapper mapper(context.get());
  TagWriter tags(cr, doc.elements());
  const size_t page_count = doc.pages().size();
  std::string footer_left =
      view.report_id_text + " · " + view.generated_text + " · " + view.labels.confidential;
  PangoLayout* watermark = WatermarkLayout(doc, view);
  for (size_t i = 0; i < page_count; ++i) {
    PangoLayout* left = doc.Text(footer_left, 8, false, kContentWidth * 0.7);
    PangoLayout* right = doc.Text(i18n::FormatPageOf(view.language, i + 1, page_count), 8, false,
                                  kContentWidth * 0.3, PANGO_ALIGN_RIGHT);
    Block footer;
    const bool last = i + 1 == page_count;
    const double footer_y = kFooterY - note_h;
    footer.DecorOf(footer_p);
    footer.Line(kMargin, footer_y - 6, kMargin + kContentWidth, footer_y - 6, kRule, 0.8);
    if (last) footer.In(footer_p);
    footer.Text(left, kMargin, footer_y, kMuted);
    footer.DecorOf(footer_p);
    footer.Text(right, kMargin + kContentWidth * 0.7, footer_y, kMuted);
    if (brand_note) {
      // Read once, like the footer: content on the last page only.
      if (last) {
        footer.In(note_p);
      } else {
        footer.DecorOf(note_p);
      }
      footer.Text(brand_note, kMargin, footer_y + Document::Height(left) + 3, kMuted);
    }
    const std::vector<Op>* layers[] = {&doc.pages()[i], &footer.ops};
    for (const std::vector<Op>* ops : layers) {
      for (const Op* op : SortedForReading(*ops, rank)) {
        if (op->decor) {
          tags.Artifact();
        } else {
          tags.Content(op->element);
        }
        Draw(cr, view.right_to_left ? Mirrored(*op) : *op, mapper);
      }
    }
    if (watermark != nullptr) {
      tags.Artifact();
      DrawWatermark(cr, watermark);
    }
    if (last) {
      tags.Finish();
    } else {
      tags.EndPage();
    }
    cairo_show_page(cr);
  }
  // The clickable outline: the two headings, and under "Skill-wise scores"
  // one entry per section, pointing at its skill table.
  int parent = CAIRO_PDF_OUTLINE_ROOT;
  for (const Anchor& a : doc.anchors()) {
    char dest[64];
    std::snprintf(dest, sizeof dest, "page=%d pos=[%d %d]", a.page, static_cast<int>(kMargin),
                  static_cast<int>(a.y));
    int id = cairo_pdf_surface_add_outline(
        surface, a.child ? parent : CAIRO_PDF_OUTLINE_ROOT, a.name.c_str(), dest,
        a.child ? static_cast<cairo_pdf_outline_flags_t>(0) : CAIRO_PDF_OUTLINE_FLAG_OPEN);
    if (!a.child) parent = id;
  }

  cairo_status_t status = cairo_status(cr);
  cr_owner.reset();
  cairo_surface_finish(surface);
  if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    return Status::Internal(std::string("PDF rendering failed: ") + cairo_status_to_string(status));
  }
  // Every document has text, so a PDF that embeds no font was drawn in glyph
  // boxes: fontconfig or FreeType could not open the fonts (seen when the
  // process ran out of file descriptors). Such a PDF is never served: fail,
  // and drop this thread's font map so the next render loads fonts afresh.
  if (out.find("/FontFile") == std::string::npos) {
    ThreadFontMapSlot().reset();
    return Status::Unavailable("PDF rendering lost its fonts; try again");
  }
  return FinishTaggedPdf(out, {std::string(domain::LanguageTag(view.language)), figure_alt});
}

}  // namespace reportshare::render::pdf

namespace reportshare::render {

void WarmUpRenderThread() {
  // The faces most documents use, regular and bold, at the sizes used: the
  // first real render on this thread then finds them in its caches. Not CJK:
  // subsetting Noto Sans CJK touches 34 MiB of its files, which a process
  // should map only once a report needs it (the first such render pays ~30 ms).
  // In Arabic, so the right-to-left path and the Arabic labels are warm too,
  // with Latin, Devanagari and emoji data; this also parses the catalogues.
  StoredReport s;
  s.company_name = "Acme प्रिया";
  Report& r = s.report;
  r.report_id = ReportId{1};
  r.assessment_id = 1;
  r.assessment_name = "Warm-up";
  r.name = "Warm प्रिया ليلى 🚀";
  r.email = "warm@example.com";
  r.invite_status = InviteStatus::kCompleted;
  r.cut_off = 40;
  r.overall_percentage = 50;
  r.offtab_count = 1;
  r.sections = {{"प्रिया ليلى", 50, {{"Skill", 50}}}};
  RenderOptions options;
  options.language = Language::kAr;
  options.watermark = Watermark{"warm@example.com", "warm", Instant{}};
  (void)pdf::RenderReportPdf(MakeReportView(s, Instant{}, options), Instant{});
}

}  // namespace reportshare::render
