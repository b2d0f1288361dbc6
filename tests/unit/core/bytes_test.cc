#include "core/bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace reportshare::core {
namespace {

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Base64UrlTest, Rfc4648Vectors) {
  // RFC 4648 §10, without the padding this encoding drops.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(AsBytes(plain)), encoded);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, B(plain));
  }
}

TEST(HmacSha256Test, Rfc4231VectorsAndTheBlockEdges) {
  struct Vector {
    Bytes key;
    Bytes data;
  };
  // RFC 4231 §4.2, 4.3 and 4.7 (a key longer than the block is hashed first),
  // then a key exactly one block long and the empty key and message.
  const std::vector<std::pair<Vector, std::string>> vectors = {
      {{Bytes(20, 0x0b), B("Hi There")},
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {{B("Jefe"), B("what do ya want for nothing?")},
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {{Bytes(131, 0xaa), B("Test Using Larger Than Block-Size Key - Hash Key First")},
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {{Bytes(64, 0xaa), Bytes(50, 0xcd)},
       "6563c35fda495c6bcf9e64ae634560c189e05a606b4d0d3c1f7eca67ac31420e"},
      {{Bytes{}, Bytes{}}, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
  };
  for (const auto& [in, mac] : vectors) {
    EXPECT_EQ(HexEncode(HmacSha256(in.key, in.data)), mac);
  }
}

TEST(Base64UrlTest, UsesUrlSafeAlphabet) {
  // Standard Base64 would give "+/8=" and "+/+/".
  EXPECT_EQ(Base64UrlEncode(Bytes{0xfb, 0xff}), "-_8");
  EXPECT_EQ(Base64UrlEncode(Bytes{0xfb, 0xff, 0xbf}), "-_-_");
  EXPECT_EQ(Base64UrlDecode("-_-_"), (Bytes{0xfb, 0xff, 0xbf}));
  EXPECT_EQ(Base64UrlDecode("+/+/"), std::nullopt);
}

TEST(Base64UrlTest, RoundTripsEveryLength) {
  for (size_t n = 0; n <= 70; ++n) {
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + n * 11 + 0x80);
    std::string text = Base64UrlEncode(data);
    EXPECT_EQ(text.size(), (n * 4 + 2) / 3) << n;
    EXPECT_EQ(
        text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_EQ(Base64UrlDecode(text), data) << n;
  }
}

TEST(Base64UrlTest, RejectsPadding) {
  EXPECT_EQ(Base64UrlDecode("Zg=="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm8="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm9v===="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("="), std::nullopt);
}

TEST(Base64UrlTest, RejectsCharactersOutsideAlphabet) {
  for (std::string_view s :
       {"Zm9v+", "Zm/v", "Zm9 v", " Zm9v", "Zm9v\n", "Zm.v", "Zm9\xc3\xa9", "Zm9v%3D"}) {
    EXPECT_EQ(Base64UrlDecode(s), std::nullopt) << s;
  }
  EXPECT_EQ(Base64UrlDecode(std::string_view("Zm\0v", 4)), std::nullopt);
}

TEST(Base64UrlTest, RejectsLengthOneModFour) {
  EXPECT_EQ(Base64UrlDecode("Z"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm9vY"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("AAAAAAAAA"), std::nullopt);
}

TEST(Base64UrlTest, RejectsNonZeroTrailingBits) {
  // "Zg" is canonical for "f"; "Zh".."Zv" decode to "f" under a lax decoder.
  EXPECT_TRUE(Base64UrlDecode("Zg"));
  for (std::string_view s : {"Zh", "Zi", "Zr", "Zv"})
    EXPECT_EQ(Base64UrlDecode(s), std::nullopt) << s;
  // "Zm8" is canonical for "fo"; "Zm9" sets one of the two spare bits.
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
  EXPECT_EQ(Base64UrlDecode("Zm9"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm_"), std::nullopt);
}

TEST(Base64Test, Rfc4648Vectors) {
  // RFC 4648 §10, with padding.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, B(plain));
  }
}

TEST(Base64Test, UsesStandardAlphabet) {
  // Base64url would give "-_8" and "-_-_".
  EXPECT_EQ(Base64Encode(Bytes{0xfb, 0xff}), "+/8=");
  EXPECT_EQ(Base64Encode(Bytes{0xfb, 0xff, 0xbf}), "+/+/");
  EXPECT_EQ(Base64Decode("+/+/"), (Bytes{0xfb, 0xff, 0xbf}));
  EXPECT_EQ(Base64Decode("+/8="), (Bytes{0xfb, 0xff}));
}

TEST(Base64Test, RoundTripsRandomBytesOfEveryLength) {
  for (size_t n = 0; n <= 100; ++n) {
    Bytes data(n);
    ASSERT_TRUE(RandomBytes(data));
    std::string text = Base64Encode(data);
    EXPECT_EQ(text.size(), 4 * ((n + 2) / 3)) << n;
    EXPECT_EQ(
        text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
        std::string::npos);
    EXPECT_EQ(Base64Decode(text), data) << n << " " << text;
  }
  // Every byte value, in every position of a group of three.
  Bytes all(256 * 3);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i / 3 + (i % 3) * 85);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(Base64Test, RejectsALengthThatIsNotAMultipleOfFour) {
  for (std::string_view s : {"Z", "Zg", "Zg=", "Zm8", "Zm9vY", "Zm9vYg", "Zm9vYg=", "Zg==="}) {
    EXPECT_EQ(Base64Decode(s), std::nullopt) << s;
  }
}

TEST(Base64Test, RejectsTheUrlSafeAlphabet) {
  EXPECT_EQ(Base64Decode("-_-_"), std::nullopt);
  EXPECT_EQ(Base64Decode("-_8="), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9-"), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9_"), std::nullopt);
}

TEST(Base64Test, RejectsCharactersOutsideAlphabet) {
  for (std::string_view s : {"Zm9 ", " Zm9", "Zm9\n", "Zm.v", "Zm\xc3\xa9", "Zm9v%3D=", "Zg\r\n"}) {
    EXPECT_EQ(Base64Decode(s), std::nullopt) << s;
  }
  EXPECT_EQ(Base64Decode(std::string_view("Zm\0v", 4)), std::nullopt);
}

TEST(Base64Test, RejectsMisplacedPadding) {
  for (std::string_view s : {"====", "Z===", "=Zg=", "Z=g=", "Zg=A", "Zm=v",
                             "Zg==Zm8=", "Zm9v====", "Zm8=Zm8=", "A=AA"}) {
    EXPECT_EQ(Base64Decode(s), std::nullopt) << s;
  }
}

TEST(Base64Test, RejectsMissingPadding) {
  // The padded forms are the only accepted ones.
  EXPECT_EQ(Base64Decode("ZgAA"), (Bytes{'f', 0, 0}));  // a different value, not "f"
  EXPECT_EQ(Base64Decode("Zm9vYg"), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm8"), std::nullopt);
}

TEST(Base64Test, RejectsNonZeroTrailingBits) {
  // "Zg==" is canonical for "f"; "Zh==".."Zv==" decode to "f" under a lax decoder.
  EXPECT_TRUE(Base64Decode("Zg=="));
  for (std::string_view s : {"Zh==", "Zi==", "Zr==", "Zv==", "Zm9=", "Zm+=", "Zm/="}) {
    EXPECT_EQ(Base64Decode(s), std::nullopt) << s;
  }
  EXPECT_TRUE(Base64Decode("Zm8="));
}

TEST(HexTest, LowerCase) {
  EXPECT_EQ(HexEncode(Bytes{}), "");
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x0f, 0x10, 0xab, 0xff}), "000f10abff");
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(RandomBytesTest, FillsAndDiffers) {
  Bytes a(32), b(32);
  ASSERT_TRUE(RandomBytes(a));
  ASSERT_TRUE(RandomBytes(b));
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(32, 0));
  EXPECT_TRUE(RandomBytes(std::span<uint8_t>()));
}

TEST(ConstantTimeEqualTest, Equal) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{}, Bytes{}));
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  Bytes big(1000, 0x5a);
  EXPECT_TRUE(ConstantTimeEqual(big, big));
}

TEST(ConstantTimeEqualTest, DiffersAtAnyPosition) {
  const Bytes base(24, 0x42);
  for (size_t i = 0; i < base.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      Bytes other = base;
      other[i] = static_cast<uint8_t>(other[i] ^ flip);
      EXPECT_FALSE(ConstantTimeEqual(base, other)) << i;
      EXPECT_FALSE(ConstantTimeEqual(other, base)) << i;
    }
  }
}

TEST(ConstantTimeEqualTest, FirstAndLastByte) {
  EXPECT_FALSE(ConstantTimeEqual(Bytes{0, 2, 3}, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
}

TEST(ConstantTimeEqualTest, DifferentLengthsAreUnequal) {
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{}, Bytes{0}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{0}, Bytes{}));
}

}  // namespace
}  // namespace reportshare::core
