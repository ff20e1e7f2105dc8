# onceflow_target_defaults(<target>): warnings (as errors under ONCEFLOW_WARNINGS_AS_ERRORS) for
# onceflow's own code only; third-party headers come in as SYSTEM includes through their imported
# targets, so they never trip -Werror.
function(onceflow_target_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wno-unused-parameter
    # Partial aggregate initialization ({topic, partition, key, value}) relies on member
    # defaults on purpose.
    -Wno-missing-field-initializers)
  if(ONCEFLOW_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(ONCEFLOW_SANITIZE)
  add_compile_options(-fsanitize=${ONCEFLOW_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${ONCEFLOW_SANITIZE})
  if(ONCEFLOW_SANITIZE MATCHES "thread")
    # protobuf's headers add two members to MapFieldBase when __SANITIZE_THREAD__ is defined
    # (map_field.h, a tsan aid), which Debian's uninstrumented libprotobuf was built without:
    # the generated code and the library then disagree on the layout and every map field
    # crashes in reflection. Undefining the macro keeps the headers' layout the library's; the
    # code is still instrumented (-fsanitize=thread does that, not the macro).
    add_compile_options(-U__SANITIZE_THREAD__)
  endif()
endif()
