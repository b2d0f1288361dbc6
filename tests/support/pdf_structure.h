#pragma once

// A PDF's tagging as an assistive technology walks it, read with qpdf: the
// structure tree, the catalog's accessibility entries, and every page's
// marked content and painting operators. For the tagged-PDF tests.
// Plain C++17 (like src/render/pdf/pdf_tagging.cc: qpdf 11.3's headers do
// not build as C++20 with clang); its .cc is the only test file with qpdf.

#include <set>
#include <string>
#include <vector>

namespace reportshare::test_support {

// One element of the structure tree.
struct Element {
  std::string type;  // "H1", without the slash
  std::string alt;
  std::string scope;              // a TH's /A /Scope
  std::set<int> pages;            // the pages of its marked content (1-based)
  std::vector<int> mcids;         // its own marked content
  std::vector<Element> children;  // elements only

  std::vector<std::string> ChildTypes() const {
    std::vector<std::string> out;
    for (const Element& c : children) out.push_back(c.type);
    return out;
  }
};

// A marked-content sequence of a page, as its content stream has it.
struct Marked {
  int page = 0;
  std::string tag;  // "P", "Artifact"
  int mcid = -1;    // none for an artifact
  double x = -1;    // where its first text starts (Tm), -1 without text
  double y = -1;
  std::string text;  // its literal strings (readable for Latin text)
  int paint_ops = 0;
  std::vector<std::string> xobjects;  // the XObjects it paints, by resource name ("/x5")
};

// An image XObject the pages draw (directly, or inside a form XObject),
// once however often it is drawn.
struct Image {
  int page = 0;          // the first page whose resources hold it
  std::string resource;  // the name that page paints it by (a form's, if nested)
  int width = 0;
  int height = 0;
  int bits_per_component = 0;
  std::string color_space;   // "/DeviceRGB"; an array's first name ("/ICCBased")
  bool soft_mask = false;    // it has an /SMask (transparency)
  std::string samples;       // its decoded samples; empty if qpdf cannot decode them
  std::string mask_samples;  // its /SMask's, likewise
};

// What the checks read from one PDF.
struct Inspection {
  bool ok = false;
  bool has_tree = false;
  std::string lang;
  bool marked = false;
  bool display_doc_title = false;
  std::vector<Element> roots;  // the StructTreeRoot's children
  std::vector<Marked> marked_content;
  int paint_ops_outside = 0;      // drawn outside any marked content
  int nested_marked_content = 0;  // BDC/BMC inside another
  int parent_tree_mismatches = 0;
  int pages = 0;
  std::vector<Image> images;
};

// `e` and every element below it, depth first in reading order, into `out`.
inline void Flatten(const Element& e, std::vector<const Element*>& out) {
  out.push_back(&e);
  for (const Element& c : e.children) Flatten(c, out);
}

// Every element of the structure tree, depth first in reading order.
inline std::vector<const Element*> AllElements(const Inspection& in) {
  std::vector<const Element*> out;
  for (const Element& r : in.roots) Flatten(r, out);
  return out;
}

// How many elements of the tree are of `type` ("H1").
inline int CountOf(const Inspection& in, const std::string& type) {
  int n = 0;
  for (const Element* e : AllElements(in)) n += e->type == type ? 1 : 0;
  return n;
}

// Reads `pdf` (throws on a file qpdf cannot read).
Inspection Inspect(const std::string& pdf);

}  // namespace reportshare::test_support
