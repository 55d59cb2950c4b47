# One CMake target per folder of src/, and the build itself enforcing who may include whom.
#
# Every library is a leaf folder of src/ (src/core/meter, src/twin/http, ...). A target does
# not get src/ as its include directory: it gets a folder of its own in the build tree,
# build/include/<target>/, holding a symlink for its own folder and for the folders of the
# targets it links, and nothing else. A header of a library it does not link is therefore
# not found: `#include "twin/service/twin.hpp"` in src/tools/ fails to compile. What a target
# passes on to its users is its own folder and the folders of its PUBLIC dependencies.
#
#   ambi_library(<name> <folder under src/> [PUBLIC deps...] [PRIVATE deps...]
#                [SOURCES extra sources...])
#   ambi_executable(<name> SOURCES ... [LINKS deps...] [INCLUDE_DIRS dirs...])
#
# Dependencies may be ambi libraries or any other CMake target (fmt::fmt, Boost::boost...).

set(AMBI_INCLUDE_FARM ${CMAKE_BINARY_DIR}/include)

# The folders under src/ that `targets` show to their users (their own and their public
# dependencies'), into `out`.
function(ambi_visible_folders out)
  set(folders "")
  foreach(dep IN LISTS ARGN)
    if(TARGET ${dep})
      get_target_property(visible ${dep} AMBI_VISIBLE_FOLDERS)
      if(visible)
        list(APPEND folders ${visible})
      endif()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES folders)
  set(${out} ${folders} PARENT_SCOPE)
endfunction()

# Makes build/include/<name>/ with one symlink per folder and gives it to `name`.
function(ambi_include_farm name)
  set(farm ${AMBI_INCLUDE_FARM}/${name})
  file(REMOVE_RECURSE ${farm})
  foreach(folder IN LISTS ARGN)
    get_filename_component(parent ${farm}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${farm}/${folder} SYMBOLIC)
  endforeach()
  file(MAKE_DIRECTORY ${farm})
  target_include_directories(${name} PRIVATE ${farm})
endfunction()

function(ambi_library name folder)
  cmake_parse_arguments(A "" "" "PUBLIC;PRIVATE;SOURCES" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${folder}/*.cpp)
  add_library(${name} STATIC ${sources} ${A_SOURCES})
  target_link_libraries(${name} PUBLIC ${A_PUBLIC} PRIVATE ${A_PRIVATE})
  ambi_visible_folders(public_folders ${A_PUBLIC})
  set(visible ${folder} ${public_folders})
  list(REMOVE_DUPLICATES visible)
  set_target_properties(${name} PROPERTIES AMBI_VISIBLE_FOLDERS "${visible}")
  ambi_visible_folders(private_folders ${A_PRIVATE})
  set(compile ${visible} ${private_folders})
  list(REMOVE_DUPLICATES compile)
  ambi_include_farm(${name} ${compile})
  # Users of the library see the folders it shows, through a farm of their own: the property
  # is read by ambi_library / ambi_executable, never by a plain target_link_libraries.
endfunction()

function(ambi_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;LINKS;INCLUDE_DIRS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LINKS})
  ambi_visible_folders(folders ${A_LINKS})
  ambi_include_farm(${name} ${folders})
  if(A_INCLUDE_DIRS)
    target_include_directories(${name} PRIVATE ${A_INCLUDE_DIRS})
  endif()
endfunction()
