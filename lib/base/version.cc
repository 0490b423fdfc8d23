#include "base/version.hh"

#include "deltaplane_version.h"

namespace deltaplane {

std::string_view version() noexcept {
  return DELTAPLANE_VERSION;
}
std::string_view git_revision() noexcept {
  return DELTAPLANE_GIT_REV;
}
std::string_view build_type() noexcept {
  return DELTAPLANE_BUILD_TYPE;
}
std::string_view compiler() noexcept {
  return DELTAPLANE_COMPILER;
}

}  // namespace deltaplane
