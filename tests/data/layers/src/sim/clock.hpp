#pragma once
// Fixture for the layering check: a bottom-layer header that reaches up into spec/.
#include "spec/model.hpp"
