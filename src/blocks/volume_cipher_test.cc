#include "blocks/volume_cipher.h"

#include <algorithm>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "blocks/test_support.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace kura::blocks {
namespace {

using base::StatusCode;
using test_support::RandomBuffer;

crypto::SecretBytes NewKey() {
  auto key = crypto::RandomSecret(crypto::kXtsKeySize);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

std::unique_ptr<VolumeCipher> NewCipher(const crypto::SecretBytes& key) {
  auto cipher = VolumeCipher::Create(key);
  EXPECT_TRUE(cipher.ok()) << cipher.status().ToString();
  return std::move(cipher).value();
}

std::span<uint8_t> Sector(std::vector<uint8_t>& buffer, size_t s) {
  return std::span<uint8_t>(buffer).subspan(s * kSectorSize, kSectorSize);
}

TEST(VolumeCipherTest, EncryptIsXtsAtTheLogicalSector) {
  auto key = NewKey();
  auto cipher = NewCipher(key);
  auto xts = crypto::XtsCipher::Create(key);
  ASSERT_TRUE(xts.ok());
  struct Position {
    uint64_t chunk_index;
    uint64_t offset;
  };
  for (Position p : {Position{0, 0}, Position{0, 8192}, Position{5, 7 * kSectorSize},
                     Position{123456, kChunkSize - 3 * kSectorSize}, Position{(16ull << 40) / kChunkSize - 1, 0}}) {
    auto plain = RandomBuffer(3 * kSectorSize, p.chunk_index + p.offset);
    auto ours = plain;
    ASSERT_TRUE(cipher->Encrypt(p.chunk_index, p.offset, ours).ok());
    std::vector<uint8_t> reference(plain.size());
    uint64_t first_sector = (p.chunk_index * kChunkSize + p.offset) / kSectorSize;
    ASSERT_TRUE((*xts)->Encrypt(first_sector, kSectorSize, plain, reference).ok());
    EXPECT_EQ(ours, reference) << "chunk " << p.chunk_index << " offset " << p.offset;
    EXPECT_NE(ours, plain);
  }
}

TEST(VolumeCipherTest, SameDataAtDifferentPositionsDiffers) {
  auto cipher = NewCipher(NewKey());
  auto plain = RandomBuffer(kSectorSize, 1);
  auto a = plain, b = plain, c = plain;
  ASSERT_TRUE(cipher->Encrypt(0, 0, a).ok());
  ASSERT_TRUE(cipher->Encrypt(0, kSectorSize, b).ok());
  ASSERT_TRUE(cipher->Encrypt(1, 0, c).ok());
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
}

TEST(VolumeCipherTest, DecryptRoundTrip) {
  auto key = NewKey();
  auto cipher = NewCipher(key);
  auto plain = RandomBuffer(kChunkSize, 7);
  auto data = plain;
  ASSERT_TRUE(cipher->Encrypt(7, 0, data).ok());
  EXPECT_NE(data, plain);
  ASSERT_TRUE(cipher->Decrypt(7, 0, data).ok());
  EXPECT_EQ(data, plain);

  // Any sector-aligned sub-range decrypts on its own at its own position.
  auto whole = plain;
  ASSERT_TRUE(cipher->Encrypt(7, 0, whole).ok());
  std::vector<uint8_t> part(whole.begin() + 5 * kSectorSize, whole.begin() + 9 * kSectorSize);
  ASSERT_TRUE(cipher->Decrypt(7, 5 * kSectorSize, part).ok());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), plain.begin() + 5 * kSectorSize));

  // A different key does not decrypt it.
  auto other = NewCipher(NewKey());
  auto wrong = whole;
  ASSERT_TRUE(other->Decrypt(7, 0, wrong).ok());
  EXPECT_NE(wrong, plain);
}

TEST(VolumeCipherTest, AllZeroStoredSectorsAreHoles) {
  auto cipher = NewCipher(NewKey());
  constexpr size_t kSectors = 7;
  auto plain = RandomBuffer(kSectors * kSectorSize, 3);
  // A sector the user wrote as zeros is real data: it encrypts to non-zero ciphertext.
  std::fill(Sector(plain, 5).begin(), Sector(plain, 5).end(), 0);
  auto stored = plain;
  ASSERT_TRUE(cipher->Encrypt(2, 4 * kSectorSize, stored).ok());
  EXPECT_FALSE(base::IsAllZero(Sector(stored, 5)));

  // Sectors 0, 3 and 4 were never written: the store hands back zeros.
  for (size_t s : {0, 3, 4}) std::fill(Sector(stored, s).begin(), Sector(stored, s).end(), 0);
  ASSERT_TRUE(cipher->Decrypt(2, 4 * kSectorSize, stored).ok());
  for (size_t s = 0; s < kSectors; ++s) {
    if (s == 0 || s == 3 || s == 4) {
      EXPECT_TRUE(base::IsAllZero(Sector(stored, s))) << "hole sector " << s;
    } else {
      EXPECT_TRUE(std::equal(Sector(stored, s).begin(), Sector(stored, s).end(), Sector(plain, s).begin()))
          << "sector " << s;
    }
  }

  // A buffer that is all holes stays zeros.
  std::vector<uint8_t> zeros(kChunkSize, 0);
  ASSERT_TRUE(cipher->Decrypt(9, 0, zeros).ok());
  EXPECT_TRUE(base::IsAllZero(zeros));
}

TEST(VolumeCipherTest, BadKeysAreRejected) {
  auto short_key = crypto::RandomSecret(32);
  ASSERT_TRUE(short_key.ok());
  EXPECT_EQ(VolumeCipher::Create(*short_key).status().code(), StatusCode::kInvalidArgument);
  std::vector<uint8_t> halves(crypto::kXtsKeySize, 0x5a);  // equal halves
  EXPECT_EQ(VolumeCipher::Create(crypto::SecretBytes(halves)).status().code(), StatusCode::kInvalidArgument);
}

TEST(VolumeCipherTest, ConcurrentCallersGetTheSameResults) {
  auto cipher = NewCipher(NewKey());
  constexpr int kThreads = 4;
  auto plain = RandomBuffer(16 * kSectorSize, 11);
  std::vector<uint8_t> expected = plain;
  ASSERT_TRUE(cipher->Encrypt(42, 0, expected).ok());
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      bool good = true;
      for (int i = 0; i < 50; ++i) {
        auto data = plain;
        good = good && cipher->Encrypt(42, 0, data).ok() && data == expected;
        good = good && cipher->Decrypt(42, 0, data).ok() && data == plain;
      }
      ok[t] = good;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
}

TEST(VolumeCipherTest, KeyCheck) {
  auto key1 = NewKey();
  auto key2 = NewKey();
  auto a = KeyCheckFor(key1);
  auto b = KeyCheckFor(key1);
  auto c = KeyCheckFor(key2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(*a, *b);  // deterministic
  EXPECT_NE(*a, *c);  // differs between keys
  // Also for keys that differ in one bit only.
  auto flipped = key1.Clone();
  flipped.data()[63] ^= 1;
  EXPECT_NE(*KeyCheckFor(flipped), *a);

  // It reveals none of the key: no 8-byte run of the key appears in it.
  for (size_t i = 0; i + 8 <= key1.size(); ++i) {
    auto run = key1.span().subspan(i, 8);
    EXPECT_EQ(std::search(a->begin(), a->end(), run.begin(), run.end()), a->end()) << "key bytes at " << i;
  }

  // The documented construction (it is stored, so it must never change):
  // HMAC-SHA256(HKDF-SHA256(key, info "kura key check v1"), "kura-volume-key").
  auto derived = crypto::HkdfSha256(key1.span(), {}, base::AsBytes("kura key check v1"), 32);
  ASSERT_TRUE(derived.ok());
  auto mac = crypto::HmacSha256(derived->span(), base::AsBytes("kura-volume-key"));
  EXPECT_EQ(*a, std::vector<uint8_t>(mac.begin(), mac.end()));
}

TEST(VolumeCipherTest, IsAllZero) {
  std::vector<uint8_t> v(4099, 0);
  EXPECT_TRUE(base::IsAllZero(v));
  EXPECT_TRUE(base::IsAllZero({}));
  for (size_t i : {size_t{0}, size_t{7}, size_t{8}, size_t{4095}, size_t{4098}}) {
    v[i] = 1;
    EXPECT_FALSE(base::IsAllZero(v)) << i;
    v[i] = 0;
  }
}

}  // namespace
}  // namespace kura::blocks
