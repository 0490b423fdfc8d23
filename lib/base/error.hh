// The one error type of deltaplane's set-up paths. Thrown only before or after
// forwarding (never on the data path); `main` catches it, prints one line and
// exits non-zero while RAII owners unwind.
#pragma once

#include <stdexcept>
#include <string>

namespace deltaplane {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace deltaplane
