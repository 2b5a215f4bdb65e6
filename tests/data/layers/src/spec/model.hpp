#pragma once
// Fixture for the layering check: a header of the upper layer.
#include "sim/clock.hpp"
