#include "base/json.hh"

#include <gtest/gtest.h>

namespace deltaplane {
namespace {

TEST(Json, NestedAndEscaped) {
  JsonWriter w;
  w.begin_object().value("a", uint64_t{1}).value("s", "q\"\\\n\x01");
  w.begin_array("l").begin_object().value("x", true).end_object().end_array();
  w.begin_object("e").end_object();
  w.value("d", 1.5).null("n").end_object();
  EXPECT_EQ(w.str(),
            "{\n  \"a\": 1,\n  \"s\": \"q\\\"\\\\\\n\\u0001\",\n  \"l\": [\n    {\n      \"x\": "
            "true\n    }\n  ],\n  \"e\": {},\n  \"d\": 1.5,\n  \"n\": null\n}\n");
}

}  // namespace
}  // namespace deltaplane
