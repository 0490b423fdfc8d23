// Build identity, for banners, JSON summaries and benchmark result files.
#pragma once

#include <string_view>

namespace deltaplane {

std::string_view version() noexcept;
std::string_view git_revision() noexcept;
std::string_view build_type() noexcept;
std::string_view compiler() noexcept;

}  // namespace deltaplane
