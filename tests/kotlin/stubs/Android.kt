// The two Android platform types Feedbackd.kt names, declared with the SDK's signatures (the
// parts the snippet calls, nullability as android.jar annotates it) so the client compiles on
// a plain JVM. Compile-only: nothing here runs, and nothing here is part of the snippet.
package android.content

abstract class Context {
    abstract fun getSharedPreferences(name: String?, mode: Int): SharedPreferences

    companion object {
        const val MODE_PRIVATE = 0
    }
}

interface SharedPreferences {
    fun getString(key: String?, defValue: String?): String?
    fun edit(): Editor

    interface Editor {
        fun putString(key: String?, value: String?): Editor
        fun apply()
    }
}
