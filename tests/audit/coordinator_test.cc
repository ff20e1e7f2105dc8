// Kafka's coordinator partition: Java's String.hashCode and Utils.abs, checked against values
// Java computes.
#include "audit/coordinator.h"

#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

TEST(JavaStringHashTest, MatchesJava) {
  struct Case {
    const char* s;
    int32_t java;  // "s".hashCode() in Java
  };
  for (const Case& c : std::initializer_list<Case>{
           {"", 0},
           {"a", 97},
           {"hello", 99162322},
           // Wraps past 2^31: negative in Java.
           {"onceflow-audit", -108640323},
           {"polygenelubricants", INT32_MIN},
           // U+00E9: one UTF-16 unit; U+1F600: a surrogate pair, 0xD83D 0xDE00.
           {"\xc3\xa9", 233},
           {"\xf0\x9f\x98\x80", 0xD83D * 31 + 0xDE00},
           // A stray continuation byte decodes to U+FFFD.
           {"\x80", 0xFFFD},
       }) {
    EXPECT_EQ(JavaStringHash(c.s), c.java) << c.s;
  }
  // "Aa" and "BB" collide in Java, the classic example.
  EXPECT_EQ(JavaStringHash("Aa"), JavaStringHash("BB"));
  EXPECT_EQ(JavaStringHash("Aa"), 2112);
}

TEST(CoordinatorPartitionTest, AbsOfTheHashModuloThePartitions) {
  EXPECT_EQ(CoordinatorPartition("hello", 50), 99162322 % 50);
  EXPECT_EQ(CoordinatorPartition("hello", 3), 99162322 % 3);
  // Integer.MIN_VALUE has no absolute value: Kafka's Utils.abs makes it 0.
  EXPECT_EQ(CoordinatorPartition("polygenelubricants", 3), 0);
  // A negative hash: abs first, then modulo ("Aa" * 31^k goes negative soon).
  const int32_t h = JavaStringHash("onceflow-audit-alos-7-99999-12345678");
  ASSERT_NE(h, INT32_MIN);
  EXPECT_EQ(CoordinatorPartition("onceflow-audit-alos-7-99999-12345678", 3), (h < 0 ? -h : h) % 3);
  for (int n = 1; n <= 60; ++n) {
    const int p = CoordinatorPartition("app-i1", n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace onceflow::audit
