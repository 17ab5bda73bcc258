#include "blocks/garbage.h"

#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace kura::blocks {
namespace {

using Triple = std::tuple<uint64_t, int64_t, ObjectId>;  // (index, generation, object)

std::vector<Triple> Dead(const std::vector<Triple>& entries, const std::vector<int64_t>& readers) {
  std::vector<ChunkEntry> in;
  for (const auto& [index, generation, object] : entries) in.push_back({index, generation, object});
  std::vector<Triple> out;
  for (const auto& e : UnreachableEntries(in, readers)) out.emplace_back(e.index, e.generation, e.object);
  return out;
}

TEST(UnreachableEntriesTest, NothingInNothingOut) {
  EXPECT_TRUE(Dead({}, {}).empty());
  EXPECT_TRUE(Dead({}, {1, 2, 3}).empty());
}

TEST(UnreachableEntriesTest, NoReadersMeansEverythingIsDead) {
  std::vector<Triple> entries = {{0, 0, 10}, {0, 3, 11}, {5, 1, 12}, {7, 2, kZeroObject}};
  EXPECT_EQ(Dead(entries, {}), entries);
}

TEST(UnreachableEntriesTest, OneReaderSeesTheNewestEntryAtOrBelowIt) {
  std::vector<Triple> entries = {
      {0, 1, 10}, {0, 3, 11}, {0, 5, 12}, {0, 7, 13},  // reader 5 sees gen 5 (equal counts)
      {1, 2, 20}, {1, 6, 21},                          // sees gen 2; gen 6 is newer than every reader
      {2, 9, 30},                                      // nothing at or below 5
      {3, 4, 40},                                      // the only entry, below the reader
  };
  EXPECT_EQ(Dead(entries, {5}),
            (std::vector<Triple>{{0, 1, 10}, {0, 3, 11}, {0, 7, 13}, {1, 6, 21}, {2, 9, 30}}));
}

TEST(UnreachableEntriesTest, EntriesShadowedBetweenReadersAreDead) {
  // Readers 2 and 8 (say, a snapshot and the live volume).
  std::vector<Triple> entries = {{0, 1, 10}, {0, 3, 11}, {0, 4, 12}, {0, 5, 13}, {0, 9, 14}};
  // Reader 2 sees gen 1, reader 8 sees gen 5; 3 and 4 were overwritten before 8; 9 is above all readers.
  EXPECT_EQ(Dead(entries, {2, 8}), (std::vector<Triple>{{0, 3, 11}, {0, 4, 12}, {0, 9, 14}}));
  // A reader at 4 in between keeps gen 4 alive as well.
  EXPECT_EQ(Dead(entries, {2, 4, 8}), (std::vector<Triple>{{0, 3, 11}, {0, 9, 14}}));
  // A reader that falls on a generation with no entry sees the one just below.
  EXPECT_EQ(Dead(entries, {6}), (std::vector<Triple>{{0, 1, 10}, {0, 3, 11}, {0, 4, 12}, {0, 9, 14}}));
}

TEST(UnreachableEntriesTest, ZeroObjectEntriesFollowTheSameRules) {
  // A zeroed chunk (object 0) hides older versions; it is itself an entry that can die.
  std::vector<Triple> entries = {{0, 1, 10}, {0, 2, kZeroObject}, {0, 4, 11}};
  EXPECT_EQ(Dead(entries, {3}), (std::vector<Triple>{{0, 1, 10}, {0, 4, 11}}));
  EXPECT_EQ(Dead(entries, {1, 5}), (std::vector<Triple>{{0, 2, kZeroObject}}));
}

TEST(UnreachableEntriesTest, SeveralIndicesAreJudgedIndependently) {
  // The next entry of index 0 is not the first entry of index 1.
  std::vector<Triple> entries = {
      {0, 1, 10},                          // seen by 3
      {1, 2, 20},                          // seen by 3
      {2, 0, 30}, {2, 3, 31},              // 3 sees gen 3; gen 0 is seen by 0
      {4, 5, 40},                          // above reader 3, seen by max
      {9, 0, 50}, {9, 1, 51}, {9, 2, 52},  // 0 sees gen 0; 3 and the live reader see gen 2
  };
  const int64_t kLive = 100;  // the live volume's generation
  EXPECT_EQ(Dead(entries, {0, 3, kLive}), (std::vector<Triple>{{9, 1, 51}}));
  EXPECT_EQ(Dead(entries, {3}), (std::vector<Triple>{{2, 0, 30}, {4, 5, 40}, {9, 0, 50}, {9, 1, 51}}));
  EXPECT_EQ(Dead(entries, {kLive}), (std::vector<Triple>{{2, 0, 30}, {9, 0, 50}, {9, 1, 51}}));
}

TEST(UnreachableEntriesTest, ReaderBelowEveryEntrySeesNothing) {
  std::vector<Triple> entries = {{0, 5, 10}, {1, 6, 11}};
  EXPECT_EQ(Dead(entries, {4}), entries);
  EXPECT_EQ(Dead(entries, {4, 5}), (std::vector<Triple>{{1, 6, 11}}));
}

}  // namespace
}  // namespace kura::blocks
